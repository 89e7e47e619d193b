import { Anchor, Card, Grid, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { get, qs } from "../api.js";
import { CERTS_PATH } from "../data.js";
import { Facts, Loading, PageTitle, Pem, ProblemAlert, StatusBadge, timeLeft, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { AuditEntry, Certificate } from "../types.js";
import { DownloadActions, HoldAndAutoRenew, PrivateKeyAction, RenewAction, RevokeAction } from "./certificate-actions.js";

/** One certificate: decoded fields, chain, renewal chain, audit events, and every action. */
export function CertificatePage() {
  const projectId = useProjectId();
  const id = useParams().id!;
  const canWrite = useCanWrite(projectId);
  const cert = useQuery({ queryKey: ["certificate", id], queryFn: () => get<{ certificate: Certificate }>(`${CERTS_PATH}/${id}`).then((r) => r.certificate) });
  const pem = useQuery({ queryKey: ["certificate-pem", id], queryFn: () => get<{ certificate: string; certificateChain: string }>(`${CERTS_PATH}/${id}/certificate?format=json`) });
  const events = useQuery({ queryKey: ["certificate-audit", id], queryFn: () => get<{ auditLogs: AuditEntry[] }>(`/api/v1/projects/${projectId}/audit-logs${qs({ objectId: id, limit: 50 })}`) });
  if (cert.isPending) return <Loading label="Loading certificate" />;
  if (cert.error) return <ProblemAlert error={cert.error} />;
  const c = cert.data;
  const s = c.subject;
  const link = (cid: string | null) => (cid ? <Anchor component={Link} to={`/p/${projectId}/certificates/${cid}`} size="sm">{cid}</Anchor> : "—");
  return (
    <Stack>
      <PageTitle actions={<StatusBadge status={c.lifecycleStatus} />}>{c.commonName || "(no common name)"}</PageTitle>
      <Group gap="xs" align="flex-start">
        <DownloadActions cert={c} />
        {canWrite && c.status !== "revoked" && <RenewAction cert={c} projectId={projectId} />}
        {canWrite && c.status !== "revoked" && <RevokeAction cert={c} />}
        <PrivateKeyAction cert={c} />
      </Group>
      {canWrite && <HoldAndAutoRenew cert={c} />}
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Title order={3} size="h5" mb="sm">Subject and names</Title>
            <Facts rows={[
              ["Common name", s.commonName || "—"],
              ["Organization", s.organization ?? "—"],
              ["Organizational unit", s.organizationalUnit ?? "—"],
              ["Country / state / locality", [s.country, s.state, s.locality].filter(Boolean).join(" / ") || "—"],
              ["SANs", c.subjectAlternativeNames.length ? c.subjectAlternativeNames.map((n) => `${n.type}: ${n.value}`).join(", ") : "—"],
              ["Serial number", <span className="mono">{c.serialNumber}</span>],
              ["Issued by", c.caName ?? "—"],
              ["Profile", c.profileName ?? "—"],
            ]} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Title order={3} size="h5" mb="sm">Validity and key</Title>
            <Facts rows={[
              ["Not before", when(c.notBefore)],
              ["Not after", `${when(c.notAfter)} (${timeLeft(c.notAfter)})`],
              ["Revoked", c.revokedAt ? `${when(c.revokedAt)}: ${c.revocationReasonName}` : "no"],
              ["Key", `${c.keyAlgorithm} (${c.keySource === "server" ? "made by Stamp" : c.keySource === "csr" ? "from a CSR" : "imported"})`],
              ["Signature", c.signatureAlgorithm],
              ["Key usages", c.keyUsages.join(", ") || "—"],
              ["Extended key usages", c.extendedKeyUsages.join(", ") || "—"],
              ["Basic constraints", c.basicConstraints.isCA ? `CA, path length ${c.basicConstraints.pathLength ?? "unlimited"}` : "end entity"],
              ["SHA-256", <span className="mono">{c.fingerprints.sha256}</span>],
              ["SHA-1", <span className="mono">{c.fingerprints.sha1}</span>],
            ]} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Title order={3} size="h5" mb="sm">Renewal</Title>
            <Facts rows={[
              ["Renewed from", link(c.renewedFromCertificateId)],
              ["Renewed by", link(c.renewedByCertificateId)],
              ["Newest of the chain", link(c.latestRenewalCertificateId)],
              ["Automatic renewal", c.autoRenew === null ? "as the profile says" : c.autoRenew ? "on" : "off"],
              ["Last renewal failure", c.renewalError ? `${when(c.renewalFailedAt)}: ${c.renewalError}` : "none"],
            ]} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Title order={3} size="h5" mb="sm">Audit events</Title>
            {events.data?.auditLogs.length ? (
              <Table aria-label="Audit events">
                <Table.Tbody>
                  {events.data.auditLogs.map((e) => (
                    <Table.Tr key={e.id}>
                      <Table.Td><Text size="xs">{when(e.createdAt)}</Text></Table.Td>
                      <Table.Td><Text size="sm">{e.action}</Text></Table.Td>
                      <Table.Td><Text size="sm">{e.outcome}</Text></Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            ) : (
              <Text size="sm" c="dimmed">{events.error ? "The audit log needs the admin role." : "No events."}</Text>
            )}
          </Card>
        </Grid.Col>
      </Grid>
      {pem.data && <Pem label="Certificate" pem={pem.data.certificate} />}
      {pem.data && <Pem label="Chain" pem={pem.data.certificateChain} />}
    </Stack>
  );
}
