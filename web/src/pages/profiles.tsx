import { useState, type FormEvent } from "react";
import { Badge, Button, Card, Checkbox, Code, CopyButton, Group, Modal, NumberInput, Select, Stack, Switch, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api } from "../api.js";
import { PROFILES_PATH, useCas, useProfiles, useTemplates, type ProfileWithMetrics } from "../data.js";
import { Empty, fieldError, Loading, PageTitle, ProblemAlert } from "../components.js";
import { useProjectId } from "../routes.js";
import { useCanWrite } from "../layout.js";
import type { CreateProfileBody, Profile } from "../types.js";
import { EabKeys } from "./eab-keys.js";

/** Profiles: template plus issuer, enrollment methods, defaults and renewal; ACME URLs and EAB keys. */
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
        <CreateProfile projectId={projectId} onDone={modal.close} />
      </Modal>
    </Stack>
  );
}

function ProfileCard({ p, projectId, canWrite, onDelete }: { p: ProfileWithMetrics; projectId: string; canWrite: boolean; onDelete: () => void }) {
  const d = p.defaults as { ttl?: string; keyAlgorithm?: string };
  return (
    <Card withBorder>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Text fw={700}>{p.slug}</Text>
          <Text size="sm" c="dimmed">{p.description || "no description"}</Text>
        </div>
        <Group gap={4}>{p.enrollmentMethods.map((m) => <Badge key={m} variant="light">{m}</Badge>)}</Group>
      </Group>
      <Text size="sm" mt="xs">
        {p.issuerType === "self-signed" ? "Self-signed" : "Issued by a CA"} · default lifetime {d.ttl ?? "the template's"} · automatic renewal {p.apiConfig.autoRenew ? `on, ${p.apiConfig.renewBeforeDays ?? "default"} days before expiry` : "off"}
      </Text>
      <Text size="sm">{p.metrics.activeCertificates} active, {p.metrics.expiringCertificates} expiring within 30 days, {p.metrics.revokedCertificates} revoked</Text>
      {p.acmeConfig && (
        <Group gap="xs" mt="xs" wrap="nowrap">
          <Text size="sm">ACME directory</Text>
          <Code style={{ overflowWrap: "anywhere" }}>{p.acmeConfig.directoryUrl}</Code>
          <CopyButton value={p.acmeConfig.directoryUrl}>{({ copied, copy }) => <Button size="compact-xs" variant="subtle" onClick={copy}>{copied ? "Copied" : "Copy"}</Button>}</CopyButton>
        </Group>
      )}
      <Group gap="xs" mt="sm">
        {p.enrollmentMethods.includes("api") && canWrite && <Button size="xs" component={Link} to={`/p/${projectId}/certificates/issue?profileId=${p.id}`}>Issue with this profile</Button>}
        <Button size="xs" variant="default" component={Link} to={`/p/${projectId}/certificates?profileId=${p.id}`}>Its certificates</Button>
        {canWrite && <Button size="xs" variant="subtle" color="red" onClick={onDelete}>Delete</Button>}
      </Group>
      {p.acmeConfig?.eabRequired && canWrite && <EabKeys profileId={p.id} />}
    </Card>
  );
}

function CreateProfile({ projectId, onDone }: { projectId: string; onDone: () => void }) {
  const templates = useTemplates(projectId);
  const cas = useCas(projectId);
  const [slug, setSlug] = useState("");
  const [description, setDescription] = useState("");
  const [templateId, setTemplateId] = useState<string | null>(null);
  const [issuer, setIssuer] = useState<string | null>(null);
  const [methods, setMethods] = useState<string[]>(["api"]);
  const [ttl, setTtl] = useState("");
  const [autoRenew, setAutoRenew] = useState(false);
  const [renewBeforeDays, setRenewBeforeDays] = useState<number | string>(30);
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => {
      const body: CreateProfileBody = {
        projectId,
        slug: slug.trim(),
        ...(description.trim() ? { description: description.trim() } : {}),
        ...(templateId ? { templateId } : {}),
        ...(issuer === "self-signed" ? { issuerType: "self-signed" } : issuer ? { caId: issuer } : {}),
        enrollmentMethods: methods as ("api" | "acme")[],
        ...(ttl.trim() ? { defaults: { ttl: ttl.trim() } } : {}),
        apiConfig: { autoRenew, ...(autoRenew && typeof renewBeforeDays === "number" ? { renewBeforeDays } : {}) },
      };
      return api<{ certificateProfile: Profile }>("POST", PROFILES_PATH, body);
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["profiles", projectId] });
      onDone();
    },
  });
  const err = create.error;
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), create.mutate())} noValidate>
      <Stack>
        <TextInput label="Slug" description="lowercase letters, digits and dashes" required value={slug} onChange={(e) => setSlug(e.currentTarget.value)} error={fieldError(err, "slug")} data-autofocus />
        <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(err, "description")} />
        <Select label="Template" required data={templates.data?.certificateTemplates.map((t) => ({ value: t.id, label: t.name })) ?? []} value={templateId} onChange={setTemplateId} error={fieldError(err, "templateId", "certificatePolicyId")} />
        <Select label="Issuer" required data={[...(cas.data?.filter((c) => c.status === "active").map((c) => ({ value: c.id, label: c.name })) ?? []), { value: "self-signed", label: "Self-signed (no CA)" }]} value={issuer} onChange={setIssuer} error={fieldError(err, "caId", "issuerType")} />
        <Checkbox.Group label="Enrollment methods" value={methods} onChange={setMethods} error={fieldError(err, "enrollmentMethods")}>
          <Group mt={4}><Checkbox value="api" label="API and this UI" /><Checkbox value="acme" label="ACME" /></Group>
        </Checkbox.Group>
        <TextInput label="Default lifetime" description='e.g. "90d"; requests may ask for less' value={ttl} onChange={(e) => setTtl(e.currentTarget.value)} error={fieldError(err, "defaults.ttl", "defaults")} />
        <Switch label="Renew certificates Stamp holds the key of automatically" checked={autoRenew} onChange={(e) => setAutoRenew(e.currentTarget.checked)} />
        {autoRenew && <NumberInput label="Days before expiry" min={1} max={3650} value={renewBeforeDays} onChange={setRenewBeforeDays} error={fieldError(err, "apiConfig.renewBeforeDays")} />}
        <ProblemAlert error={err} title="The profile was not created" />
        <Group><Button type="submit" loading={create.isPending}>Create profile</Button></Group>
      </Stack>
    </form>
  );
}
