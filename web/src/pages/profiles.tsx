import { useState, type ReactNode } from "react";
import { Alert, Badge, Button, Card, Code, CopyButton, Group, Modal, Stack, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, get } from "../api.js";
import { PROFILES_PATH, useProfiles, type ProfileWithMetrics } from "../data.js";
import { Empty, Loading, PageTitle, ProblemAlert } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { EstPassphraseReply, ProfileDetail } from "../types.js";
import { EabKeys } from "./eab-keys.js";
import { ProfileForm } from "./profile-form.js";

/** Profiles: template plus issuer, enrollment methods, defaults and renewal; create, edit, delete; ACME URLs and EAB keys, EST and SCEP secrets. */
export function ProfilesPage() {
  const projectId = useProjectId();
  const profiles = useProfiles(projectId);
  const canWrite = useCanWrite(projectId);
  const [opened, modal] = useDisclosure(false);
  const qc = useQueryClient();
  const remove = useMutation({ mutationFn: (id: string) => api("DELETE", `${PROFILES_PATH}/${id}`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["profiles", projectId] }) });
  return (
    <Stack>
      <PageTitle actions={canWrite && <Button onClick={modal.open}>Create a profile</Button>}>Profiles</PageTitle>
      <ProblemAlert error={profiles.error ?? remove.error} />
      {profiles.isPending ? (
        <Loading />
      ) : profiles.data?.certificateProfiles.length ? (
        profiles.data.certificateProfiles.map((p) => <ProfileCard key={p.id} p={p} projectId={projectId} canWrite={canWrite} onDelete={() => remove.mutate(p.id)} />)
      ) : (
        <Empty action={canWrite && <Button onClick={modal.open}>Create a profile</Button>}>No profile yet. A profile joins a template to an issuing CA and says how certificates are requested (API, ACME).</Empty>
      )}
      <Modal opened={opened} onClose={modal.close} title="Create a profile" size="lg">
        <ProfileForm projectId={projectId} onDone={modal.close} />
      </Modal>
    </Stack>
  );
}

/** A URL with a copy button. */
function CopyUrl({ label, url }: { label: string; url: string }) {
  return (
    <Group gap="xs" mt="xs" wrap="nowrap">
      <Text size="sm" style={{ flexShrink: 0 }}>{label}</Text>
      <Code style={{ overflowWrap: "anywhere" }}>{url}</Code>
      <CopyButton value={url}>{({ copied, copy }) => <Button size="compact-xs" variant="subtle" onClick={copy} aria-label={`Copy the ${label}`}>{copied ? "Copied" : "Copy"}</Button>}</CopyButton>
    </Group>
  );
}

/** A secret the server made, shown this once. */
function ShownOnce({ title, children }: { title: string; children: ReactNode }) {
  return <Alert color="orange" title={`${title}: copy it now, it is shown once`} mt="xs" data-testid="shown-once">{children}</Alert>;
}

function ProfileCard({ p, projectId, canWrite, onDelete }: { p: ProfileWithMetrics; projectId: string; canWrite: boolean; onDelete: () => void }) {
  const d = p.defaults as { ttl?: string; keyAlgorithm?: string };
  const [editing, edit] = useDisclosure(false);
  const scep = p.enrollmentMethods.includes("scep");
  const detail = useQuery({ queryKey: ["profile", p.id], queryFn: () => get<{ certificateProfile: ProfileDetail }>(`${PROFILES_PATH}/${p.id}`).then((r) => r.certificateProfile), enabled: editing || scep });
  const qc = useQueryClient();
  const est = useMutation({ mutationFn: () => api<EstPassphraseReply>("POST", `${PROFILES_PATH}/${p.id}/est/passphrase`, {}), onSuccess: () => (void qc.invalidateQueries({ queryKey: ["profiles", projectId] }), void qc.invalidateQueries({ queryKey: ["profile", p.id] })) });
  // The edit form starts from the profile as the server has it when the dialog opens, never from an older cached copy.
  const [editFrom, setEditFrom] = useState(0);
  const openEdit = () => (setEditFrom(Date.now()), void qc.invalidateQueries({ queryKey: ["profile", p.id] }), edit.open());
  const scepPw = useMutation({ mutationFn: () => api<{ challengePassword: string }>("POST", `${PROFILES_PATH}/${p.id}/scep/challenge-password`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["profile", p.id] }) });
  return (
    <Card withBorder data-testid={`profile-${p.slug}`}>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Text fw={700}>{p.slug}</Text>
          <Text size="sm" c="dimmed">{p.description || "no description"}</Text>
        </div>
        <Group gap={4}>{p.enrollmentMethods.map((m) => <Badge key={m} variant="light">{m}</Badge>)}</Group>
      </Group>
      <Text size="sm" mt="xs">
        {p.issuerType === "self-signed" ? "Self-signed" : "Issued by a CA"} · default lifetime {d.ttl ?? "the template's"}{d.keyAlgorithm ? ` · default key ${d.keyAlgorithm}` : ""} · automatic renewal {p.apiConfig.autoRenew ? `on, ${p.apiConfig.renewBeforeDays ?? "default"} days before expiry` : "off"}
      </Text>
      <Text size="sm">{p.metrics.activeCertificates} active, {p.metrics.expiringCertificates} expiring within 30 days, {p.metrics.revokedCertificates} revoked</Text>
      {p.acmeConfig && <CopyUrl label="ACME directory" url={p.acmeConfig.directoryUrl} />}
      {p.acmeConfig && <Text size="xs" c="dimmed">EAB {p.acmeConfig.eabRequired ? "required" : "not required"} · challenges {p.acmeConfig.challengeTypes.join(", ")}</Text>}
      {p.enrollmentMethods.includes("est") && p.estConfig && <CopyUrl label="EST base URL" url={p.estConfig.baseUrl} />}
      {p.enrollmentMethods.includes("est") && p.estConfig && <Text size="xs" c="dimmed">EST passphrase {p.estConfig.passphraseSet ? "set" : "not set"}</Text>}
      {scep && detail.data?.scepConfig && <CopyUrl label="SCEP URL" url={detail.data.scepConfig.url} />}
      {scep && detail.data?.scepConfig && <Text size="xs" c="dimmed">SCEP static challenge password {detail.data.scepConfig.challengePasswordSet ? "set" : "not set"}</Text>}
      {est.data?.passphrase && <ShownOnce title="The new EST passphrase"><Code data-testid="est-passphrase">{est.data.passphrase}</Code></ShownOnce>}
      {scepPw.data && <ShownOnce title="The new SCEP challenge password"><Code data-testid="scep-password">{scepPw.data.challengePassword}</Code></ShownOnce>}
      <Group gap="xs" mt="sm">
        {p.enrollmentMethods.includes("api") && canWrite && <Button size="xs" component={Link} to={`/p/${projectId}/certificates/issue?profileId=${p.id}`}>Issue with this profile</Button>}
        <Button size="xs" variant="default" component={Link} to={`/p/${projectId}/certificates?profileId=${p.id}`}>Its certificates</Button>
        {canWrite && <Button size="xs" variant="default" onClick={openEdit} aria-label={`Edit ${p.slug}`}>Edit</Button>}
        {canWrite && p.enrollmentMethods.includes("est") && <Button size="xs" variant="default" onClick={() => est.mutate()} loading={est.isPending}>New EST passphrase</Button>}
        {canWrite && scep && <Button size="xs" variant="default" onClick={() => scepPw.mutate()} loading={scepPw.isPending}>New SCEP challenge password</Button>}
        {canWrite && <Button size="xs" variant="subtle" color="red" onClick={onDelete} aria-label={`Delete ${p.slug}`}>Delete</Button>}
      </Group>
      <ProblemAlert error={est.error ?? scepPw.error ?? detail.error} />
      {p.acmeConfig && canWrite && <EabKeys profileId={p.id} />}
      <Modal opened={editing} onClose={edit.close} title={`Edit ${p.slug}`} size="lg">
        {detail.data && detail.dataUpdatedAt >= editFrom ? <ProfileForm projectId={projectId} profile={detail.data} onDone={edit.close} /> : <Loading label="Loading profile" />}
      </Modal>
    </Card>
  );
}
