// The template rule editors, shared by create and edit: subject attributes and SANs (allowed,
// required, denied patterns per type), key usages and EKUs, key and signature algorithms, the
// maximum lifetime and the CA flag. Form state <-> API rules, both ways.
import { Button, Card, Fieldset, Group, MultiSelect, NumberInput, Select, SimpleGrid, Stack, TagsInput, Text, TextInput } from "@mantine/core";
import { fieldError } from "../components.js";
import {
  EKU_LABELS, KEY_ALGORITHM_LABELS, KEY_USAGE_LABELS, options, SAN_TYPE_LABELS, SIGNATURE_ALGORITHM_LABELS, SUBJECT_TYPE_LABELS,
  type CreateTemplateBody, type Template, type UpdateTemplateBody,
} from "../types.js";

const LISTS = ["allowed", "required", "denied"] as const;
type ListName = (typeof LISTS)[number];
type Lists = Record<ListName, string[]>;
/** One subject-attribute or SAN rule: a type and its pattern lists (all empty: the type is forbidden). */
export type NameRule = { type: string } & Lists;
/** Everything the editors hold; an empty list means "not configured". */
export interface RulesState {
  subject: NameRule[];
  sans: NameRule[];
  keyUsages: Lists;
  extendedKeyUsages: Lists;
  keyAlgorithm: string[];
  signature: string[];
  maxValidity: string;
  isCA: string | null;
  maxPathLength: number | string;
}

const noLists = (): Lists => ({ allowed: [], required: [], denied: [] });
/** Empty editors (a new template: nothing beyond the preset). */
export const emptyRules = (): RulesState => ({ subject: [], sans: [], keyUsages: noLists(), extendedKeyUsages: noLists(), keyAlgorithm: [], signature: [], maxValidity: "", isCA: null, maxPathLength: "" });

const listsOf = (r: Partial<Record<ListName, string[] | undefined>> | undefined): Lists => ({ allowed: [...(r?.allowed ?? [])], required: [...(r?.required ?? [])], denied: [...(r?.denied ?? [])] });
/** A stored template's rules in the editors. */
export function rulesFromTemplate(t: Template): RulesState {
  return {
    subject: (t.subject ?? []).map((r) => ({ type: r.type, ...listsOf(r) })),
    sans: (t.sans ?? []).map((r) => ({ type: r.type, ...listsOf(r) })),
    keyUsages: listsOf(t.keyUsages),
    extendedKeyUsages: listsOf(t.extendedKeyUsages),
    keyAlgorithm: [...(t.algorithms?.keyAlgorithm ?? [])],
    signature: [...(t.algorithms?.signature ?? [])],
    maxValidity: t.validity?.max ?? "",
    isCA: t.basicConstraints?.isCA ?? null,
    maxPathLength: t.basicConstraints?.maxPathLength ?? "",
  };
}

const setLists = (l: Lists) => Object.fromEntries(LISTS.filter((k) => l[k].length).map((k) => [k, l[k]])) as Partial<Lists>;
/** A name rule as the API writes it; a rule with no pattern at all forbids its type (`allowed: []`). */
const nameRule = (r: NameRule) => {
  const lists = setLists(r);
  return { type: r.type, ...(Object.keys(lists).length ? lists : { allowed: [] }) };
};
const orNull = <T extends object>(o: T): T | null => (Object.keys(o).length ? o : null);

/** The rules as the API writes them; null for a rule that is not configured. */
export function rulesBody(s: RulesState) {
  return {
    subject: s.subject.length ? s.subject.map(nameRule) : null,
    sans: s.sans.length ? s.sans.map(nameRule) : null,
    keyUsages: orNull(setLists(s.keyUsages)),
    extendedKeyUsages: orNull(setLists(s.extendedKeyUsages)),
    algorithms: orNull({ ...(s.keyAlgorithm.length ? { keyAlgorithm: s.keyAlgorithm } : {}), ...(s.signature.length ? { signature: s.signature } : {}) }),
    validity: orNull(s.maxValidity.trim() ? { max: s.maxValidity.trim() } : {}),
    basicConstraints: orNull({ ...(s.isCA ? { isCA: s.isCA } : {}), ...(typeof s.maxPathLength === "number" ? { maxPathLength: s.maxPathLength } : {}) }),
  };
}

/** The rules of a create request (rules not configured are left out). */
export function createRules(s: RulesState): Partial<CreateTemplateBody> {
  return Object.fromEntries(Object.entries(rulesBody(s)).filter(([, v]) => v !== null)) as Partial<CreateTemplateBody>;
}

/**
 * The PATCH bodies that turn `before` into `s`. PATCH merges a rule object member by member
 * (README "PATCH"), so a list dropped from keyUsages, extendedKeyUsages, algorithms or
 * basicConstraints is only gone when the rule is first removed (null) and then written whole:
 * then two bodies are returned, else one.
 */
export function updateBodies(before: Template, s: RulesState, extra: { name?: string; description?: string }): UpdateTemplateBody[] {
  const body = { ...rulesBody(s), ...extra } as Record<string, unknown>;
  const reset: Record<string, null> = {};
  for (const k of ["keyUsages", "extendedKeyUsages", "algorithms", "basicConstraints"] as const) {
    const old = (before[k] ?? {}) as Record<string, unknown>;
    const now = (body[k] ?? {}) as Record<string, unknown>;
    if (body[k] !== null && Object.keys(old).some((m) => old[m] !== undefined && !(m in now))) reset[k] = null;
  }
  return Object.keys(reset).length ? [reset as UpdateTemplateBody, body as UpdateTemplateBody] : [body as UpdateTemplateBody];
}

function NameRules({ title, prefix, labels, rows, onChange, error }: { title: string; prefix: "subject" | "sans"; labels: Record<string, string>; rows: NameRule[]; onChange: (r: NameRule[]) => void; error: unknown }) {
  const set = (i: number, patch: Partial<NameRule>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const unused = Object.keys(labels).find((t) => !rows.some((r) => r.type === t));
  return (
    <Fieldset legend={title}>
      <Stack gap="xs">
        {rows.length === 0 && <Text size="sm" c="dimmed">No rule: any {prefix === "sans" ? "SAN" : "subject attribute"} is allowed.</Text>}
        {rows.map((r, i) => (
          <Card withBorder p="xs" key={i}>
            <Group justify="space-between" align="flex-end">
              <Select label={`${title} ${i + 1} type`} allowDeselect={false} data={options(labels)} value={r.type} onChange={(v) => v && set(i, { type: v })} error={fieldError(error, `${prefix}[${i}].type`)} w={240} />
              <Button size="compact-xs" variant="subtle" color="red" onClick={() => onChange(rows.filter((_, j) => j !== i))} aria-label={`Remove ${title} ${i + 1}`}>Remove</Button>
            </Group>
            <SimpleGrid cols={{ base: 1, sm: 3 }} mt={4}>
              {LISTS.map((l) => (
                <TagsInput key={l} label={`${title} ${i + 1} ${l}`} description="press Enter after each" value={r[l]} onChange={(v) => set(i, { [l]: v })} error={fieldError(error, `${prefix}[${i}].${l}`)} />
              ))}
            </SimpleGrid>
            {!r.allowed.length && !r.required.length && !r.denied.length && <Text size="xs" c="dimmed" mt={4}>With no pattern, this type is forbidden.</Text>}
          </Card>
        ))}
        <Group>
          <Button size="xs" variant="default" disabled={!unused} onClick={() => unused && onChange([...rows, { type: unused, allowed: [], required: [], denied: [] }])}>{`Add a ${title.startsWith("SAN") ? title : title.toLowerCase()}`}</Button>
        </Group>
        {fieldError(error, prefix) && !rows.length && <Text size="sm" c="red">{fieldError(error, prefix)}</Text>}
      </Stack>
    </Fieldset>
  );
}

function UsageLists({ title, prefix, labels, value, onChange, error }: { title: string; prefix: string; labels: Record<string, string>; value: Lists; onChange: (l: Lists) => void; error: unknown }) {
  return (
    <Fieldset legend={title}>
      <SimpleGrid cols={{ base: 1, sm: 3 }}>
        {LISTS.map((l) => (
          <MultiSelect key={l} label={`${title} ${l}`} description={l === "allowed" ? "none: any" : undefined} data={options(labels)} value={value[l]} onChange={(v) => onChange({ ...value, [l]: v })} error={fieldError(error, `${prefix}.${l}`)} />
        ))}
      </SimpleGrid>
    </Fieldset>
  );
}

/** Every rule editor of a template. */
export function RulesEditor({ value, onChange, error }: { value: RulesState; onChange: (s: RulesState) => void; error: unknown }) {
  const set = (patch: Partial<RulesState>) => onChange({ ...value, ...patch });
  return (
    <Stack>
      <NameRules title="Subject rule" prefix="subject" labels={SUBJECT_TYPE_LABELS} rows={value.subject} onChange={(subject) => set({ subject })} error={error} />
      <NameRules title="SAN rule" prefix="sans" labels={SAN_TYPE_LABELS} rows={value.sans} onChange={(sans) => set({ sans })} error={error} />
      <UsageLists title="Key usages" prefix="keyUsages" labels={KEY_USAGE_LABELS} value={value.keyUsages} onChange={(keyUsages) => set({ keyUsages })} error={error} />
      <UsageLists title="Extended key usages" prefix="extendedKeyUsages" labels={EKU_LABELS} value={value.extendedKeyUsages} onChange={(extendedKeyUsages) => set({ extendedKeyUsages })} error={error} />
      <Fieldset legend="Algorithms, lifetime and CA flag">
        <SimpleGrid cols={{ base: 1, sm: 2 }}>
          <MultiSelect label="Allowed key algorithms" description="none: any" data={options(KEY_ALGORITHM_LABELS)} value={value.keyAlgorithm} onChange={(keyAlgorithm) => set({ keyAlgorithm })} error={fieldError(error, "algorithms.keyAlgorithm")} />
          <MultiSelect label="Allowed signature algorithms" description="none: any" data={options(SIGNATURE_ALGORITHM_LABELS)} value={value.signature} onChange={(signature) => set({ signature })} error={fieldError(error, "algorithms.signature")} />
          <TextInput label="Maximum lifetime" description='e.g. "1y", "90d", "12m"' value={value.maxValidity} onChange={(e) => set({ maxValidity: e.currentTarget.value })} error={fieldError(error, "validity", "validity.max")} />
          <Select label="CA certificates" clearable data={[{ value: "denied", label: "Denied (leaf only)" }, { value: "allowed", label: "Allowed" }, { value: "required", label: "Required" }]} value={value.isCA} onChange={(isCA) => set({ isCA })} error={fieldError(error, "basicConstraints.isCA")} />
          <NumberInput label="Maximum path length" description="-1: no limit" min={-1} max={32} value={value.maxPathLength} onChange={(maxPathLength) => set({ maxPathLength })} error={fieldError(error, "basicConstraints.maxPathLength")} />
        </SimpleGrid>
      </Fieldset>
    </Stack>
  );
}
