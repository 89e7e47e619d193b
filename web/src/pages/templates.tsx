import { useState, type FormEvent } from "react";
import { Alert, Button, Card, Group, Modal, MultiSelect, Select, Stack, Table, TagsInput, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../api.js";
import { TEMPLATES_PATH, useTemplates } from "../data.js";
import { Empty, fieldError, Loading, PageTitle, ProblemAlert } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import { KEY_ALGORITHM_LABELS, options, PRESET_LABELS, type CreateTemplateBody, type KeyAlgorithm, type Template, type TemplatePresetName } from "../types.js";

type Warning = { field: string; code: string; message: string };

/** A template's rules in one line each, as text. */
function summary(t: Template): string[] {
  const lists = (r: { type: string; allowed?: string[]; required?: string[]; denied?: string[] }) =>
    [r.allowed?.length ? `allowed ${r.allowed.join(", ")}` : "", r.required?.length ? `required ${r.required.join(", ")}` : "", r.denied?.length ? `denied ${r.denied.join(", ")}` : ""].filter(Boolean).join("; ");
  return [
    ...(t.subject ?? []).map((r) => `subject ${r.type}: ${lists(r)}`),
    ...(t.sans ?? []).map((r) => `SAN ${r.type}: ${lists(r)}`),
    t.validity?.max ? `lifetime at most ${t.validity.max}` : "",
    t.algorithms?.keyAlgorithm?.length ? `keys ${t.algorithms.keyAlgorithm.join(", ")}` : "",
    t.extendedKeyUsages?.allowed?.length ? `EKUs ${t.extendedKeyUsages.allowed.join(", ")}` : "",
  ].filter(Boolean);
}

/** Templates: the list with their rules, create from a preset, delete. */
export function TemplatesPage() {
  const projectId = useProjectId();
  const templates = useTemplates(projectId);
  const canWrite = useCanWrite(projectId);
  const [opened, modal] = useDisclosure(false);
  const [warnings, setWarnings] = useState<Warning[]>([]);
  const qc = useQueryClient();
  const remove = useMutation({ mutationFn: (id: string) => api("DELETE", `${TEMPLATES_PATH}/${id}`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["templates", projectId] }) });
  return (
    <Stack>
      <PageTitle actions={canWrite && <Button onClick={modal.open}>Create a template</Button>}>Templates</PageTitle>
      <ProblemAlert error={templates.error ?? remove.error} />
      {warnings.map((w, i) => <Alert key={i} color="yellow" title="The template was saved; note">{w.field}: {w.message}</Alert>)}
      {templates.isPending ? (
        <Loading />
      ) : templates.data?.certificateTemplates.length ? (
        <Table aria-label="Templates">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Rules</Table.Th><Table.Th /></Table.Tr></Table.Thead>
          <Table.Tbody>
            {templates.data.certificateTemplates.map((t) => (
              <Table.Tr key={t.id}>
                <Table.Td><Text fw={600} size="sm">{t.name}</Text><Text size="xs" c="dimmed">{t.description}</Text></Table.Td>
                <Table.Td>{summary(t).map((l, i) => <Text size="xs" key={i}>{l}</Text>)}</Table.Td>
                <Table.Td>{canWrite && <Button size="compact-xs" color="red" variant="subtle" onClick={() => remove.mutate(t.id)}>Delete</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Empty action={canWrite && <Button onClick={modal.open}>Create a template</Button>}>No template yet. A template says what certificates may contain; start from a preset such as TLS server.</Empty>
      )}
      <Modal opened={opened} onClose={modal.close} title="Create a template" size="lg">
        <CreateTemplate projectId={projectId} onDone={(w) => (setWarnings(w), modal.close())} />
      </Modal>
    </Stack>
  );
}

function CreateTemplate({ projectId, onDone }: { projectId: string; onDone: (w: Warning[]) => void }) {
  const [name, setName] = useState("");
  const [preset, setPreset] = useState<TemplatePresetName | null>("tls-server");
  const [cn, setCn] = useState<string[]>([]);
  const [dns, setDns] = useState<string[]>([]);
  const [maxValidity, setMaxValidity] = useState("");
  const [keys, setKeys] = useState<string[]>([]);
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => {
      const body: CreateTemplateBody = {
        projectId,
        name: name.trim(),
        ...(preset ? { preset } : {}),
        ...(cn.length ? { subject: [{ type: "common_name", allowed: cn }] } : {}),
        ...(dns.length ? { sans: [{ type: "dns_name", allowed: dns }] } : {}),
        ...(maxValidity.trim() ? { validity: { max: maxValidity.trim() } } : {}),
        ...(keys.length ? { algorithms: { keyAlgorithm: keys as KeyAlgorithm[] } } : {}),
      };
      return api<{ certificateTemplate: Template; warnings: Warning[] }>("POST", TEMPLATES_PATH, body);
    },
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ["templates", projectId] });
      onDone(r.warnings);
    },
  });
  const err = create.error;
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), create.mutate())} noValidate>
      <Stack>
        <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, "name")} data-autofocus />
        <Select label="Start from preset" clearable data={options(PRESET_LABELS)} value={preset} onChange={(v) => setPreset(v as TemplatePresetName | null)} error={fieldError(err, "preset")} />
        <TagsInput label="Allowed common names" description="patterns such as *.acme.com; press Enter after each" value={cn} onChange={setCn} error={fieldError(err, "subject")} />
        <TagsInput label="Allowed DNS names" description="patterns such as *.acme.com" value={dns} onChange={setDns} error={fieldError(err, "sans")} />
        <TextInput label="Maximum lifetime" description='e.g. "1y", "90d"' value={maxValidity} onChange={(e) => setMaxValidity(e.currentTarget.value)} error={fieldError(err, "validity", "validity.max")} />
        <MultiSelect label="Allowed key algorithms" description="none: any" data={options(KEY_ALGORITHM_LABELS)} value={keys} onChange={setKeys} error={fieldError(err, "algorithms")} />
        <ProblemAlert error={err} title="The template was not created" />
        <Card withBorder p="xs"><Text size="xs" c="dimmed">Rules given here narrow the preset's, never widen them. Key usages, EKUs and denied or required lists can be set through the API.</Text></Card>
        <Group><Button type="submit" loading={create.isPending}>Create template</Button></Group>
      </Stack>
    </form>
  );
}
