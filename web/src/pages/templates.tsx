import { useState, type FormEvent } from "react";
import { Alert, Button, Group, List, Modal, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, get } from "../api.js";
import { TEMPLATES_PATH, useTemplates } from "../data.js";
import { Empty, fieldError, Loading, PageTitle, ProblemAlert } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import { options, PRESET_LABELS, type CreateTemplateBody, type Template, type TemplatePreset, type TemplatePresetName } from "../types.js";
import { createRules, emptyRules, RulesEditor, rulesFromTemplate, updateBodies, type RulesState } from "./template-form.js";

type Warning = { field: string; code: string; message: string };
type Broken = { profileId: string; slug: string; violations: Warning[] };
type Saved = { name: string; warnings: Warning[]; brokenProfiles?: Broken[] };

/** A template's rules in one line each, as text. */
function summary(t: Partial<Template>): string[] {
  const lists = (r: { type: string; allowed?: string[]; required?: string[]; denied?: string[] }) =>
    [r.allowed?.length ? `allowed ${r.allowed.join(", ")}` : "", r.required?.length ? `required ${r.required.join(", ")}` : "", r.denied?.length ? `denied ${r.denied.join(", ")}` : ""].filter(Boolean).join("; ") || "forbidden";
  return [
    ...(t.subject ?? []).map((r) => `subject ${r.type}: ${lists(r)}`),
    ...(t.sans ?? []).map((r) => `SAN ${r.type}: ${lists(r)}`),
    t.validity?.max ? `lifetime at most ${t.validity.max}` : "",
    t.algorithms?.keyAlgorithm?.length ? `keys ${t.algorithms.keyAlgorithm.join(", ")}` : "",
    t.keyUsages?.allowed?.length ? `key usages ${t.keyUsages.allowed.join(", ")}` : "",
    t.keyUsages?.required?.length ? `key usages required ${t.keyUsages.required.join(", ")}` : "",
    t.extendedKeyUsages?.allowed?.length ? `EKUs ${t.extendedKeyUsages.allowed.join(", ")}` : "",
    t.extendedKeyUsages?.required?.length ? `EKUs required ${t.extendedKeyUsages.required.join(", ")}` : "",
    t.basicConstraints?.isCA ? `CA certificates ${t.basicConstraints.isCA}` : "",
  ].filter(Boolean);
}

/** Templates: the list with their rules; create from any preset, edit every rule (with the profiles a change breaks), delete. */
export function TemplatesPage() {
  const projectId = useProjectId();
  const templates = useTemplates(projectId);
  const canWrite = useCanWrite(projectId);
  const [opened, modal] = useDisclosure(false);
  const [editing, setEditing] = useState<Template | null>(null);
  const [saved, setSaved] = useState<Saved | null>(null);
  const qc = useQueryClient();
  const remove = useMutation({ mutationFn: (id: string) => api("DELETE", `${TEMPLATES_PATH}/${id}`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["templates", projectId] }) });
  const done = (r: Saved) => (setSaved(r), modal.close(), setEditing(null));
  return (
    <Stack>
      <PageTitle actions={canWrite && <Button onClick={modal.open}>Create a template</Button>}>Templates</PageTitle>
      <ProblemAlert error={templates.error ?? remove.error} />
      {saved && <SavedNotice saved={saved} onClose={() => setSaved(null)} />}
      {templates.isPending ? (
        <Loading />
      ) : templates.data?.certificateTemplates.length ? (
        <Table aria-label="Templates">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Rules</Table.Th><Table.Th>Actions</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {templates.data.certificateTemplates.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td><Text fw={600} size="sm">{t.name}</Text><Text size="xs" c="dimmed">{t.description}</Text></Table.Td>
                <Table.Td>{summary(t).map((l, i) => <Text size="xs" key={i}>{l}</Text>)}</Table.Td>
                <Table.Td>
                  {canWrite && (
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="subtle" onClick={() => setEditing(t)} aria-label={`Edit ${t.name}`}>Edit</Button>
                      <Button size="compact-xs" color="red" variant="subtle" onClick={() => remove.mutate(t.id)} aria-label={`Delete ${t.name}`}>Delete</Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Empty action={canWrite && <Button onClick={modal.open}>Create a template</Button>}>No template yet. A template says what certificates may contain; start from a preset such as TLS server.</Empty>
      )}
      <Modal opened={opened} onClose={modal.close} title="Create a template" size="xl">
        <TemplateForm projectId={projectId} onDone={done} />
      </Modal>
      <Modal opened={!!editing} onClose={() => setEditing(null)} title={`Edit ${editing?.name ?? ""}`} size="xl">
        {editing && <TemplateForm projectId={projectId} template={editing} onDone={done} />}
      </Modal>
    </Stack>
  );
}

/** After a save: the profiles whose defaults the change breaks (as the server reports them), and warnings. */
function SavedNotice({ saved, onClose }: { saved: Saved; onClose: () => void }) {
  return (
    <Stack gap="xs" data-testid="template-saved">
      {saved.brokenProfiles && saved.brokenProfiles.length > 0 && (
        <Alert color="orange" title={`Saved ${saved.name}; ${saved.brokenProfiles.length} profile(s) now break it`} withCloseButton onClose={onClose} closeButtonLabel="Dismiss">
          <List size="sm" data-testid="broken-profiles">
            {saved.brokenProfiles.map((b) => (
              <List.Item key={b.profileId}><Text span fw={600} size="sm">{b.slug}</Text>: {b.violations.map((v) => `${v.field}: ${v.message}`).join(" ")}</List.Item>
            ))}
          </List>
          <Text size="xs" mt={4}>Requests that rely on these profiles' defaults are refused until the profiles or the template change.</Text>
        </Alert>
      )}
      {saved.brokenProfiles?.length === 0 && <Alert color="green" title={`Saved ${saved.name}`} withCloseButton onClose={onClose} closeButtonLabel="Dismiss">No profile is broken by the change.</Alert>}
      {saved.warnings.map((w, i) => <Alert key={i} color="yellow" title="Note">{w.field}: {w.message}</Alert>)}
    </Stack>
  );
}

/** Create (from a preset, narrowed by the rules given) or edit (every rule, merged by PATCH). */
function TemplateForm({ projectId, template, onDone }: { projectId: string; template?: Template; onDone: (r: Saved) => void }) {
  const [name, setName] = useState(template?.name ?? "");
  const [description, setDescription] = useState(template?.description ?? "");
  const [preset, setPreset] = useState<TemplatePresetName | null>(template ? null : "tls-server");
  const [rules, setRules] = useState<RulesState>(() => (template ? rulesFromTemplate(template) : emptyRules()));
  const presets = useQuery({ queryKey: ["template-presets"], queryFn: () => get<{ presets: TemplatePreset[] }>(`${TEMPLATES_PATH}/presets`).then((r) => r.presets), enabled: !template, staleTime: Infinity });
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: async (): Promise<Saved> => {
      if (!template) {
        const body: CreateTemplateBody = { projectId, name: name.trim(), ...(description.trim() ? { description: description.trim() } : {}), ...(preset ? { preset } : {}), ...createRules(rules) };
        const r = await api<{ certificateTemplate: Template; warnings: Warning[] }>("POST", TEMPLATES_PATH, body);
        return { name: r.certificateTemplate.name, warnings: r.warnings };
      }
      let r: { certificateTemplate: Template; warnings: Warning[]; brokenProfiles: Broken[] } | undefined;
      for (const body of updateBodies(template, rules, { name: name.trim(), description })) r = await api("PATCH", `${TEMPLATES_PATH}/${template.id}`, body);
      return { name: r!.certificateTemplate.name, warnings: r!.warnings, brokenProfiles: r!.brokenProfiles };
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ["templates", projectId] });
      onDone(r);
    },
  });
  const err = save.error;
  const chosen = presets.data?.find((p) => p.preset === preset);
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), save.mutate())} noValidate>
      <Stack>
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, "name")} data-autofocus />
        <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(err, "description")} />
        {!template && (
          <>
            <Select label="Start from preset" clearable data={options(PRESET_LABELS)} value={preset} onChange={(v) => setPreset(v as TemplatePresetName | null)} error={fieldError(err, "preset")} />
            {chosen && (
              <Alert color="gray" title={`The preset: ${chosen.name}`} data-testid="preset-rules">
                <Text size="xs">{chosen.description}</Text>
                {summary(chosen.rules).map((l, i) => <Text size="xs" key={i}>{l}</Text>)}
                <Text size="xs" mt={4} c="dimmed">Rules you set below narrow the preset's, never widen them.</Text>
              </Alert>
            )}
          </>
        )}
        <RulesEditor value={rules} onChange={setRules} error={err} />
        <ProblemAlert error={err} title={template ? "The template was not saved" : "The template was not created"} />
        <Group><Button type="submit" loading={save.isPending}>{template ? "Save template" : "Create template"}</Button></Group>
      </Stack>
    </form>
  );
}
