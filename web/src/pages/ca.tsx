import { Anchor, Button, Card, Grid, Group, Stack, Table, Text, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { get, saveBlob } from "../api.js";
import { CA_PATH } from "../data.js";
import { Facts, Loading, PageTitle, Pem, ProblemAlert, StatusBadge, timeLeft, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { Ca, CaCertificateVersion, CaCrl } from "../types.js";
import { CaSettingsAction, DeleteAction, OutsideSigning, RenewCaAction, SignIntermediateAction, StatusAction } from "./ca-actions.js";

/** One CA: its subject and key, certificate and chain, every certificate it had, CRLs and URLs. */
export function CaPage() {
  const projectId = useProjectId();
  const id = useParams().id!;
  const canWrite = useCanWrite(projectId);
  const ca = useQuery({ queryKey: ["cas", projectId, id], queryFn: () => get<Ca>(`${CA_PATH}/${id}`) });
  const active = ca.data?.status !== "pending-certificate";
  const cert = useQuery({ queryKey: ["ca-cert", id], queryFn: () => get<{ certificate: string; certificateChain: string }>(`${CA_PATH}/${id}/certificate`), enabled: !!ca.data && active });
  const versions = useQuery({ queryKey: ["ca-versions", id], queryFn: () => get<CaCertificateVersion[]>(`${CA_PATH}/${id}/ca-certificates`), enabled: !!ca.data && active });
  const crls = useQuery({ queryKey: ["ca-crls", id], queryFn: () => get<CaCrl[]>(`${CA_PATH}/${id}/crls`), enabled: !!ca.data && active });
  if (ca.isPending) return <Loading label="Loading CA" />;
  if (ca.error) return <ProblemAlert error={ca.error} />;
  const c = ca.data;
  const cfg = c.configuration;
  return (
    <Stack>
      <PageTitle actions={<StatusBadge status={c.status} />}>{c.name}</PageTitle>
      {canWrite && (
        <Group gap="xs">
          {c.status === "active" && <Button size="xs" component={Link} to={`/p/${projectId}/cas/new?parent=${c.id}`}>Create an intermediate under it</Button>}
          <SignIntermediateAction ca={c} />
          <CaSettingsAction ca={c} />
          <RenewCaAction ca={c} />
          <StatusAction ca={c} />
          <DeleteAction ca={c} projectId={projectId} />
        </Group>
      )}
      <OutsideSigning ca={c} />
      <Grid>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Title order={3} size="h5" mb="sm">Certificate</Title>
            <Facts rows={[
              ["Subject", cfg.dn],
              ["Type", cfg.type],
              ["Key", `${cfg.keyAlgorithm} (${c.keyBackend})`],
              ["Serial number", <span className="mono">{cfg.serialNumber ?? "—"}</span>],
              ["Valid", `${when(cfg.notBefore)} to ${when(cfg.notAfter)}`],
              ["Path length", cfg.maxPathLength === -1 ? "no limit" : String(cfg.maxPathLength)],
              ["Parent", cfg.parentCaId ? <Anchor component={Link} to={`/p/${projectId}/cas/${cfg.parentCaId}`} size="sm">{cfg.parentCaId}</Anchor> : "—"],
            ]} />
          </Card>
        </Grid.Col>
        <Grid.Col span={{ base: 12, md: 6 }}>
          <Card withBorder>
            <Title order={3} size="h5" mb="sm">Revocation and URLs</Title>
            <Facts rows={[
              ["CRL distribution point", c.crl.url ?? "—"],
              ["Extra CDPs", cfg.crlDistributionPointUrls.join(", ") || "—"],
              ["OCSP responder (AIA)", cfg.isOcspEnabled ? (c.ocspUrl ?? "—") : "off"],
              ["OCSP signer", cfg.ocspSigner],
              ["CRL published", c.crl.lastPublishedAt ? `${when(c.crl.lastPublishedAt)} (${timeLeft(c.crl.lastPublishedAt)})` : "never"],
              ["CRL next update", c.crl.nextUpdate ? `${when(c.crl.nextUpdate)}${c.crl.stale ? " — STALE" : ""}` : "—"],
              ["CRL build error", c.crl.error ?? "none"],
            ]} />
          </Card>
        </Grid.Col>
      </Grid>
      {crls.data && crls.data.length > 0 && (
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">Current CRLs</Title>
          <Table aria-label="CRLs">
            <Table.Thead><Table.Tr><Table.Th>Number</Table.Th><Table.Th>This update</Table.Th><Table.Th>Next update</Table.Th><Table.Th>Entries</Table.Th><Table.Th>Download</Table.Th></Table.Tr></Table.Thead>
            <Table.Tbody>
              {crls.data.map((crl) => (
                <Table.Tr key={crl.id}>
                  <Table.Td>{crl.crlNumber}</Table.Td>
                  <Table.Td>{when(crl.thisUpdate)}</Table.Td>
                  <Table.Td>{when(crl.nextUpdate)}</Table.Td>
                  <Table.Td>{crl.entries}</Table.Td>
                  <Table.Td><Button size="compact-xs" variant="subtle" onClick={() => saveBlob(new Blob([crl.crl], { type: "application/x-pem-file" }), `${c.name}-${crl.crlNumber}.crl.pem`)}>PEM</Button></Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Card>
      )}
      {versions.data && versions.data.length > 1 && (
        <Card withBorder>
          <Title order={3} size="h5" mb="sm">Every certificate of this CA</Title>
          {versions.data.map((v) => <Text size="sm" key={v.id}>v{v.version} · serial <span className="mono">{v.serialNumber}</span> · until {when(v.notAfter)}{v.active ? " · active" : ""}</Text>)}
        </Card>
      )}
      {cert.data && <Pem label="CA certificate" pem={cert.data.certificate} />}
      {cert.data && cert.data.certificateChain && <Pem label="CA chain" pem={cert.data.certificateChain} />}
      <ProblemAlert error={cert.error ?? crls.error ?? versions.error} />
    </Stack>
  );
}
