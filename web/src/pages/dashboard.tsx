import { Anchor, Card, Group, SimpleGrid, Stack, Table, Text, Title, Badge } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { get, qs } from "../api.js";
import { CERTS_PATH, useCas, useProfiles } from "../data.js";
import { Empty, Loading, PageTitle, ProblemAlert, timeLeft, when } from "../components.js";
import { useProjectId } from "../routes.js";
import type { AuditEntry, Certificate, CertificateList } from "../types.js";

const DAY = 86_400_000;
/** At most this many expiring certificates are read for the chart (5 pages of the API's 500). */
const CHART_CAP = 2500;

/** Active certificates ending within 90 days, read page by page up to CHART_CAP. */
async function expiringWithin90Days(projectId: string): Promise<{ certs: Certificate[]; capped: boolean }> {
  const certs: Certificate[] = [];
  let cursor: string | undefined;
  const expiresBefore = new Date(Date.now() + 90 * DAY).toISOString();
  do {
    const page = await get<CertificateList>(CERTS_PATH + qs({ projectId, status: "active", expiresBefore, limit: 500, cursor }));
    certs.push(...page.certificates);
    cursor = page.nextCursor ?? undefined;
  } while (cursor && certs.length < CHART_CAP);
  return { certs, capped: !!cursor };
}

/** Expiries per week over the next 90 days (13 weeks). */
function weekly(certs: Certificate[], now = Date.now()) {
  const weeks = Array.from({ length: 13 }, (_, i) => ({ week: new Date(now + i * 7 * DAY).toLocaleDateString(undefined, { month: "short", day: "numeric" }), expiring: 0 }));
  for (const c of certs) {
    const i = Math.floor((new Date(c.notAfter).getTime() - now) / (7 * DAY));
    if (i >= 0 && i < weeks.length) weeks[i].expiring++;
  }
  return weeks;
}

function Figure({ label, value, to }: { label: string; value: string | number; to?: string }) {
  return (
    <Card withBorder padding="md">
      <Text size="sm" c="dimmed">{label}</Text>
      <Text fz={28} fw={700} data-testid={`figure-${label}`}>{to ? <Anchor component={Link} to={to} inherit>{value}</Anchor> : value}</Text>
    </Card>
  );
}

/** The project at a glance: certificates by status, what expires soon, renewal failures, CRL health. */
export function DashboardPage() {
  const projectId = useProjectId();
  const profiles = useProfiles(projectId);
  const cas = useCas(projectId);
  const expiring = useQuery({ queryKey: ["dashboard-expiring", projectId], queryFn: () => expiringWithin90Days(projectId) });
  const failures = useQuery({
    queryKey: ["dashboard-failures", projectId],
    queryFn: () => get<{ auditLogs: AuditEntry[] }>(`/api/v1/projects/${projectId}/audit-logs${qs({ action: "certificate.renew", outcome: "failure", limit: 10 })}`),
  });
  const totals = profiles.data?.certificateProfiles.reduce(
    (t, p) => ({ active: t.active + p.metrics.activeCertificates, expired: t.expired + p.metrics.expiredCertificates, revoked: t.revoked + p.metrics.revokedCertificates, total: t.total + p.metrics.totalCertificates }),
    { active: 0, expired: 0, revoked: 0, total: 0 },
  );
  const within = (days: number) => {
    if (!expiring.data) return "…";
    const n = expiring.data.certs.filter((c) => new Date(c.notAfter).getTime() < Date.now() + days * DAY).length;
    return expiring.data.capped && days === 90 ? `${n}+` : n;
  };
  const certsLink = (extra: Record<string, string>) => `/p/${projectId}/certificates${qs(extra)}`;
  const dateIn = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);
  return (
    <Stack>
      <PageTitle>Dashboard</PageTitle>
      <ProblemAlert error={profiles.error ?? expiring.error ?? cas.error ?? failures.error} />
      <Title order={3} size="h4">Certificates by status</Title>
      <SimpleGrid cols={{ base: 2, sm: 4 }}>
        <Figure label="Active" value={totals?.active ?? "…"} to={certsLink({ status: "active" })} />
        <Figure label="Expired" value={totals?.expired ?? "…"} to={certsLink({ status: "expired" })} />
        <Figure label="Revoked" value={totals?.revoked ?? "…"} to={certsLink({ status: "revoked" })} />
        <Figure label="Total" value={totals?.total ?? "…"} to={certsLink({})} />
      </SimpleGrid>
      <Text size="xs" c="dimmed">Counted over the project's profiles; certificates imported without a profile are in the list but not in these figures.</Text>
      <Title order={3} size="h4">Expiring</Title>
      <SimpleGrid cols={{ base: 3 }}>
        <Figure label="Within 7 days" value={within(7)} to={certsLink({ status: "active", expiresBefore: dateIn(7) })} />
        <Figure label="Within 30 days" value={within(30)} to={certsLink({ status: "active", expiresBefore: dateIn(30) })} />
        <Figure label="Within 90 days" value={within(90)} to={certsLink({ status: "active", expiresBefore: dateIn(90) })} />
      </SimpleGrid>
      <Card withBorder>
        <Title order={3} size="h5" mb="sm">Expiries per week, next 90 days</Title>
        {expiring.isPending ? (
          <Loading label="Loading expiries" />
        ) : (
          <div role="img" aria-label={`Bar chart: active certificates expiring per week over the next 90 days, ${expiring.data?.certs.length ?? 0} in all`} style={{ width: "100%", height: 220 }}>
            <ResponsiveContainer>
              <BarChart data={weekly(expiring.data?.certs ?? [])}>
                <CartesianGrid strokeDasharray="3 3" vertical={false} />
                <XAxis dataKey="week" fontSize={12} />
                <YAxis allowDecimals={false} fontSize={12} width={36} />
                <Tooltip />
                <Bar dataKey="expiring" name="Expiring" fill="var(--mantine-color-blue-filled)" />
              </BarChart>
            </ResponsiveContainer>
          </div>
        )}
      </Card>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">Recent renewal failures</Title>
          {failures.isPending ? (
            <Loading />
          ) : failures.data?.auditLogs.length ? (
            <Stack gap="xs">
              {failures.data.auditLogs.map((e) => (
                <div key={e.id}>
                  <Anchor component={Link} to={`/p/${projectId}/certificates/${e.objectId}`} size="sm">{e.objectId}</Anchor>
                  <Text size="xs" c="dimmed">{when(e.createdAt)}: {String((e.detail as { reason?: string }).reason ?? "no reason recorded")}</Text>
                </div>
              ))}
            </Stack>
          ) : (
            <Text size="sm" c="dimmed">No renewal has failed. Failures of automatic renewals show here.</Text>
          )}
        </Card>
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">CRLs per CA</Title>
          {cas.isPending ? (
            <Loading />
          ) : cas.data?.length ? (
            <Table aria-label="CRLs per CA">
              <Table.Thead>
                <Table.Tr><Table.Th>CA</Table.Th><Table.Th>Published</Table.Th><Table.Th>Next update</Table.Th></Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {cas.data.map((ca) => (
                  <Table.Tr key={ca.id}>
                    <Table.Td><Anchor component={Link} to={`/p/${projectId}/cas/${ca.id}`} size="sm">{ca.name}</Anchor></Table.Td>
                    <Table.Td><Text size="sm">{ca.crl.lastPublishedAt ? timeLeft(ca.crl.lastPublishedAt) : "never"}</Text></Table.Td>
                    <Table.Td>
                      <Group gap={4}>
                        <Text size="sm">{ca.crl.nextUpdate ? timeLeft(ca.crl.nextUpdate) : "—"}</Text>
                        {ca.crl.stale && <Badge color="red" size="sm">stale</Badge>}
                        {ca.crl.error && <Badge color="orange" size="sm" title={ca.crl.error}>failing</Badge>}
                      </Group>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          ) : (
            <Empty>No CA yet. <Anchor component={Link} to={`/p/${projectId}/cas/new`}>Create a root CA</Anchor> to start.</Empty>
          )}
        </Card>
      </SimpleGrid>
    </Stack>
  );
}
