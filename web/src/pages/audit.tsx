import { useState } from "react";
import { Button, Code, Group, Modal, ScrollArea, Select, Stack, Table, Text, TextInput } from "@mantine/core";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { get, qs } from "../api.js";
import { Empty, Facts, Loading, PageTitle, ProblemAlert, when } from "../components.js";
import { useProjectId } from "../routes.js";
import type { AuditEntry } from "../types.js";

/** The project's audit log: filters for action, actor, object, outcome and dates; keyset paging; each entry's detail. */
export function AuditPage() {
  const projectId = useProjectId();
  const [draft, setDraft] = useState({ action: "", actorId: "", objectId: "", from: "", to: "" });
  const [outcome, setOutcome] = useState<string | null>(null);
  const [filters, setFilters] = useState(draft);
  const [cursors, setCursors] = useState<string[]>([]);
  const [open, setOpen] = useState<AuditEntry | null>(null);
  const cursor = cursors[cursors.length - 1];
  const day = (d: string, end = false) => (d ? new Date(d + (end ? "T23:59:59Z" : "T00:00:00Z")).toISOString() : undefined);
  const log = useQuery({
    queryKey: ["audit", projectId, filters, outcome, cursor],
    queryFn: () => get<{ auditLogs: AuditEntry[]; nextCursor: string | null }>(`/api/v1/projects/${projectId}/audit-logs${qs({ ...filters, from: day(filters.from), to: day(filters.to, true), outcome, limit: 50, cursor })}`),
    placeholderData: keepPreviousData,
  });
  const set = (k: keyof typeof draft) => (e: React.ChangeEvent<HTMLInputElement>) => setDraft({ ...draft, [k]: e.currentTarget.value });
  return (
    <Stack>
      <PageTitle>Audit log</PageTitle>
      <form onSubmit={(e) => (e.preventDefault(), setCursors([]), setFilters(draft))}>
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput label="Action" placeholder="certificate.issue" value={draft.action} onChange={set("action")} w={180} />
          <TextInput label="Actor id" value={draft.actorId} onChange={set("actorId")} w={180} />
          <TextInput label="Object id" value={draft.objectId} onChange={set("objectId")} w={180} />
          <Select label="Outcome" clearable data={["success", "failure", "denied"]} value={outcome} onChange={(v) => (setCursors([]), setOutcome(v))} w={130} />
          <TextInput label="From" type="date" value={draft.from} onChange={set("from")} w={150} />
          <TextInput label="To" type="date" value={draft.to} onChange={set("to")} w={150} />
          <Button type="submit" variant="default">Filter</Button>
        </Group>
      </form>
      <ProblemAlert error={log.error} />
      {log.isPending ? (
        <Loading />
      ) : log.data?.auditLogs.length ? (
        <ScrollArea>
          <Table striped aria-label="Audit log" miw={700}>
            <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Action</Table.Th><Table.Th>Outcome</Table.Th><Table.Th>Actor</Table.Th><Table.Th>Object</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {log.data.auditLogs.map((e) => (
                <Table.Tr key={e.id}>
                  <Table.Td><Button size="compact-xs" variant="subtle" onClick={() => setOpen(e)}>{when(e.createdAt)}</Button></Table.Td>
                  <Table.Td><Text size="sm">{e.action}</Text></Table.Td>
                  <Table.Td><Text size="sm">{e.outcome}</Text></Table.Td>
                  <Table.Td><Text size="xs">{e.actorType} {e.actorId}</Text></Table.Td>
                  <Table.Td><Text size="xs">{e.objectType} {e.objectId ?? ""}</Text></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </ScrollArea>
      ) : (
        <Empty>No entry matches. Widen the date range or clear a filter.</Empty>
      )}
      <Group justify="flex-end">
        <Button variant="default" disabled={!cursors.length} onClick={() => setCursors((c) => c.slice(0, -1))}>Previous page</Button>
        <Button variant="default" disabled={!log.data?.nextCursor} onClick={() => setCursors((c) => [...c, log.data!.nextCursor!])}>Next page</Button>
      </Group>
      <Modal opened={!!open} onClose={() => setOpen(null)} title="Audit entry" size="lg">
        {open && (
          <Stack>
            <Facts rows={[["When", when(open.createdAt)], ["Action", open.action], ["Outcome", open.outcome], ["Actor", `${open.actorType} ${open.actorId}`], ["Object", `${open.objectType} ${open.objectId ?? ""}`], ["Source address", open.sourceIp ?? "—"]]} />
            <Text size="sm" fw={600}>Detail</Text>
            <Facts rows={Object.entries(open.detail).map(([k, v]) => [k, typeof v === "string" ? v : <Code>{JSON.stringify(v)}</Code>])} />
          </Stack>
        )}
      </Modal>
    </Stack>
  );
}
