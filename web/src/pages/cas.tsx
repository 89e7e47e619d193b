import { Anchor, Button, Card, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, get, qs } from "../api.js";
import { useCas } from "../data.js";
import { Empty, Loading, PageTitle, ProblemAlert, StatusBadge, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { AcmeCa, Ca } from "../types.js";

const ACME_CA_PATH = "/api/v1/cert-manager/ca/acme";

/** The CA hierarchy as a nested list (ARIA tree semantics are overkill for links: nested lists read well). */
function Branch({ cas, parent, projectId, depth }: { cas: Ca[]; parent: string | null; projectId: string; depth: number }) {
  const ids = new Set(cas.map((c) => c.id));
  // A CA whose parent is in another project (or gone) is shown at the top.
  const children = cas.filter((c) => (parent === null ? !c.configuration.parentCaId || !ids.has(c.configuration.parentCaId) : c.configuration.parentCaId === parent));
  if (!children.length) return null;
  return (
    <ul style={{ listStyle: "none", paddingLeft: depth ? 24 : 0, margin: 0 }}>
      {children.map((c) => (
        <li key={c.id}>
          <Card withBorder padding="sm" my={6}>
            <Group justify="space-between" wrap="wrap">
              <div>
                <Anchor component={Link} to={`/p/${projectId}/cas/${c.id}`} fw={600}>{c.name}</Anchor>
                <Text size="sm" c="dimmed">{c.configuration.dn} · {c.configuration.type} · {c.configuration.keyAlgorithm}</Text>
              </div>
              <Group gap="xs">
                <Text size="xs" c="dimmed">until {when(c.configuration.notAfter)}</Text>
                <StatusBadge status={c.status} />
              </Group>
            </Group>
          </Card>
          <Branch cas={cas} parent={c.id} projectId={projectId} depth={depth + 1} />
        </li>
      ))}
    </ul>
  );
}

/** The project's CAs as a tree: roots first, their intermediates beneath. */
export function CasPage() {
  const projectId = useProjectId();
  const cas = useCas(projectId);
  const canWrite = useCanWrite(projectId);
  return (
    <Stack>
      <PageTitle actions={canWrite && <Button component={Link} to={`/p/${projectId}/cas/new`}>Create a CA</Button>}>Certificate authorities</PageTitle>
      <ProblemAlert error={cas.error} />
      {cas.isPending ? (
        <Loading label="Loading CAs" />
      ) : cas.data?.length ? (
        <nav aria-label="CA hierarchy"><Branch cas={cas.data} parent={null} projectId={projectId} depth={0} /></nav>
      ) : (
        <Empty action={canWrite && <Button component={Link} to={`/p/${projectId}/cas/new`}>Create a root CA</Button>}>This project has no CA yet. Start with a root CA, then an intermediate CA that issues certificates.</Empty>
      )}
      <ExternalAcmeCas projectId={projectId} canWrite={canWrite} />
    </Stack>
  );
}

/** External ACME CAs (a public or private ACME server Stamp orders certificates from): listed, enabled or disabled, deleted. */
function ExternalAcmeCas({ projectId, canWrite }: { projectId: string; canWrite: boolean }) {
  const list = useQuery({ queryKey: ["acme-cas", projectId], queryFn: () => get<AcmeCa[]>(ACME_CA_PATH + qs({ projectId })) });
  const qc = useQueryClient();
  const done = { onSuccess: () => void qc.invalidateQueries({ queryKey: ["acme-cas", projectId] }) };
  const toggle = useMutation({ mutationFn: (c: AcmeCa) => api("PATCH", `${ACME_CA_PATH}/${c.id}`, { status: c.status === "active" ? "disabled" : "active" }), ...done });
  const remove = useMutation({ mutationFn: (c: AcmeCa) => api("DELETE", `${ACME_CA_PATH}/${c.id}`), ...done });
  return (
    <Stack gap="xs" mt="md">
      <Title order={3} size="h4">External ACME CAs</Title>
      {list.isPending ? (
        <Loading label="Loading external CAs" />
      ) : list.data?.length ? (
        <Table aria-label="External ACME CAs">
          <Table.Thead><Table.Tr><Table.Th>Name</Table.Th><Table.Th>Directory</Table.Th><Table.Th>Account</Table.Th><Table.Th>Status</Table.Th><Table.Th>Actions</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td>{c.name}</Table.Td>
                <Table.Td><Text size="xs" className="mono" style={{ overflowWrap: "anywhere" }}>{c.configuration.directoryUrl}</Text></Table.Td>
                <Table.Td><Text size="xs">{c.configuration.accountEmail}{c.configuration.eabKid ? ` (EAB ${c.configuration.eabKid})` : ""}</Text></Table.Td>
                <Table.Td><StatusBadge status={c.status} /></Table.Td>
                <Table.Td>
                  {canWrite && (
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="subtle" onClick={() => toggle.mutate(c)}>{c.status === "active" ? "Disable" : "Enable"}</Button>
                      <Button size="compact-xs" variant="subtle" color="red" onClick={() => remove.mutate(c)}>Delete</Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">No external ACME CA. To issue through one (e.g. a public ACME CA with DNS-01), create it with the API: POST {ACME_CA_PATH}.</Text>
      )}
      <ProblemAlert error={list.error ?? toggle.error ?? remove.error} title={remove.error ? "The server refused to delete the external CA" : undefined} />
    </Stack>
  );
}
