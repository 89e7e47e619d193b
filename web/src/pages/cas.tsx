import { Anchor, Button, Card, Group, Stack, Text } from "@mantine/core";
import { Link } from "react-router";
import { useCas } from "../data.js";
import { Empty, Loading, PageTitle, ProblemAlert, StatusBadge, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { Ca } from "../types.js";

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
    </Stack>
  );
}
