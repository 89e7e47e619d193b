// Create or edit a profile: template plus issuing CA (or self-signed), enrollment methods with
// their settings (ACME, EST, SCEP), defaults and automatic renewal.
import { useState, type FormEvent } from "react";
import { Button, Checkbox, Fieldset, Group, MultiSelect, NumberInput, PasswordInput, Select, SimpleGrid, Stack, Switch, Textarea, TextInput } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api } from "../api.js";
import { PROFILES_PATH, useCas, useTemplates } from "../data.js";
import { fieldError, ProblemAlert } from "../components.js";
import { KEY_ALGORITHM_LABELS, options, type CreateProfileBody, type KeyAlgorithm, type Profile, type ProfileDetail, type UpdateProfileBody } from "../types.js";

type Method = "api" | "acme" | "est" | "scep";
const CHALLENGES = ["http-01", "dns-01", "tls-alpn-01"] as const;

/** The profile form; with `profile`, an edit (PATCH) of that profile. */
export function ProfileForm({ projectId, profile, onDone }: { projectId: string; profile?: ProfileDetail; onDone: () => void }) {
  const templates = useTemplates(projectId);
  const cas = useCas(projectId);
  const d = (profile?.defaults ?? {}) as { ttl?: string; keyAlgorithm?: string };
  const [slug, setSlug] = useState(profile?.slug ?? "");
  const [description, setDescription] = useState(profile?.description ?? "");
  const [templateId, setTemplateId] = useState<string | null>(profile?.templateId ?? null);
  const [issuer, setIssuer] = useState<string | null>(profile ? (profile.issuerType === "self-signed" ? "self-signed" : profile.caId) : null);
  const [methods, setMethods] = useState<string[]>(profile?.enrollmentMethods ?? ["api"]);
  const [ttl, setTtl] = useState(d.ttl ?? "");
  const [keyAlgorithm, setKeyAlgorithm] = useState<string | null>(d.keyAlgorithm ?? null);
  const [autoRenew, setAutoRenew] = useState(profile?.apiConfig.autoRenew ?? false);
  const [renewBeforeDays, setRenewBeforeDays] = useState<number | string>(profile?.apiConfig.renewBeforeDays ?? 30);
  const [eabRequired, setEabRequired] = useState(profile?.acmeConfig?.eabRequired ?? true);
  const [challengeTypes, setChallengeTypes] = useState<string[]>(profile?.acmeConfig?.challengeTypes ?? ["http-01", "dns-01", "tls-alpn-01"]);
  const [estPassphrase, setEstPassphrase] = useState("");
  const [estChain, setEstChain] = useState(profile?.estConfig?.caChain ?? "");
  const [scepPassword, setScepPassword] = useState("");
  const [scepRaDays, setScepRaDays] = useState<number | string>(profile?.scepConfig?.raCertificateLifetimeDays ?? 365);
  const [scepChallengeSeconds, setScepChallengeSeconds] = useState<number | string>(profile?.scepConfig?.challengeLifetimeSeconds ?? 3600);
  const qc = useQueryClient();
  const has = (m: Method) => methods.includes(m);
  const save = useMutation({
    mutationFn: () => {
      const common = {
        ...(templateId ? { templateId } : {}),
        enrollmentMethods: methods as Method[],
        apiConfig: { autoRenew, ...(autoRenew && typeof renewBeforeDays === "number" ? { renewBeforeDays } : {}) },
        ...(has("acme") ? { acmeConfig: { eabRequired, challengeTypes: challengeTypes as (typeof CHALLENGES)[number][] } } : {}),
        ...(has("est") && (estPassphrase || estChain.trim() !== (profile?.estConfig?.caChain ?? "")) ? { estConfig: { ...(estPassphrase ? { passphrase: estPassphrase } : {}), ...(estChain.trim() !== (profile?.estConfig?.caChain ?? "") ? { caChain: estChain.trim() || null } : {}) } } : {}),
        ...(has("scep") ? { scepConfig: { ...(scepPassword ? { challengePassword: scepPassword } : {}), ...(typeof scepRaDays === "number" ? { raCertificateLifetimeDays: scepRaDays } : {}), ...(typeof scepChallengeSeconds === "number" ? { challengeLifetimeSeconds: scepChallengeSeconds } : {}) } } : {}),
      };
      if (!profile) {
        const body: CreateProfileBody = {
          projectId,
          slug: slug.trim(),
          ...(description.trim() ? { description: description.trim() } : {}),
          ...(issuer === "self-signed" ? { issuerType: "self-signed" } : issuer ? { caId: issuer } : {}),
          ...common,
          ...(ttl.trim() || keyAlgorithm ? { defaults: { ...(ttl.trim() ? { ttl: ttl.trim() } : {}), ...(keyAlgorithm ? { keyAlgorithm: keyAlgorithm as KeyAlgorithm } : {}) } } : {}),
        };
        return api<{ certificateProfile: Profile }>("POST", PROFILES_PATH, body);
      }
      const body: UpdateProfileBody = {
        slug: slug.trim(),
        description: description.trim(),
        ...(profile.issuerType === "ca" && issuer && issuer !== "self-signed" ? { caId: issuer } : {}),
        ...common,
        defaults: { ttl: ttl.trim() || null, keyAlgorithm: (keyAlgorithm as KeyAlgorithm | null) ?? null },
      };
      return api<{ certificateProfile: Profile }>("PATCH", `${PROFILES_PATH}/${profile.id}`, body);
    },
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["profiles", projectId] });
      void qc.invalidateQueries({ queryKey: ["profile"] });
      onDone();
    },
  });
  const err = save.error;
  const issuers = [...(cas.data?.filter((c) => c.status === "active" || c.id === profile?.caId).map((c) => ({ value: c.id, label: c.name })) ?? []), ...(!profile || profile.issuerType === "self-signed" ? [{ value: "self-signed", label: "Self-signed (no CA)" }] : [])];
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), save.mutate())} noValidate>
      <Stack>
        <TextInput label="Slug" description="lowercase letters, digits and dashes" required value={slug} onChange={(e) => setSlug(e.currentTarget.value)} error={fieldError(err, "slug")} data-autofocus />
        <TextInput label="Description" value={description} onChange={(e) => setDescription(e.currentTarget.value)} error={fieldError(err, "description")} />
        <Select label="Template" required data={templates.data?.certificateTemplates.map((t) => ({ value: t.id, label: t.name })) ?? []} value={templateId} onChange={setTemplateId} error={fieldError(err, "templateId", "certificatePolicyId")} />
        <Select label="Issuer" required disabled={profile?.issuerType === "self-signed"} description={profile ? "a profile stays CA-issued or self-signed; another CA may be chosen" : undefined} data={issuers} value={issuer} onChange={setIssuer} error={fieldError(err, "caId", "issuerType")} />
        <Checkbox.Group label="Enrollment methods" value={methods} onChange={setMethods} error={fieldError(err, "enrollmentMethods", "enrollmentType")}>
          <Group mt={4}>
            <Checkbox value="api" label="API and this UI" />
            <Checkbox value="acme" label="ACME" />
            <Checkbox value="est" label="EST" />
            <Checkbox value="scep" label="SCEP" />
          </Group>
        </Checkbox.Group>
        {has("acme") && (
          <Fieldset legend="ACME">
            <Stack gap="xs">
              <Switch label="New accounts must bind an EAB key" checked={eabRequired} onChange={(e) => setEabRequired(e.currentTarget.checked)} />
              <MultiSelect label="Challenge types" data={[...CHALLENGES]} value={challengeTypes} onChange={setChallengeTypes} error={fieldError(err, "acmeConfig.challengeTypes")} />
            </Stack>
          </Fieldset>
        )}
        {has("est") && (
          <Fieldset legend="EST">
            <Stack gap="xs">
              <PasswordInput label="EST passphrase" description={profile?.estConfig?.passphraseSet ? "one is set; type a new one to replace it, or leave empty to keep it" : "HTTP Basic password clients send; or make a random one from the profile card"} value={estPassphrase} onChange={(e) => setEstPassphrase(e.currentTarget.value)} error={fieldError(err, "estConfig.passphrase")} autoComplete="new-password" />
              <Textarea label="Bootstrap CA chain (PEM)" description="client certificates under it may enroll" autosize minRows={2} maxRows={8} classNames={{ input: "pem" }} value={estChain} onChange={(e) => setEstChain(e.currentTarget.value)} error={fieldError(err, "estConfig.caChain")} />
            </Stack>
          </Fieldset>
        )}
        {has("scep") && (
          <Fieldset legend="SCEP">
            <SimpleGrid cols={{ base: 1, sm: 3 }}>
              <PasswordInput label="SCEP challenge password" description={profile?.scepConfig?.challengePasswordSet ? "one is set; leave empty to keep it" : "static; optional"} value={scepPassword} onChange={(e) => setScepPassword(e.currentTarget.value)} error={fieldError(err, "scepConfig.challengePassword")} autoComplete="new-password" />
              <NumberInput label="RA certificate lifetime (days)" min={1} max={3650} value={scepRaDays} onChange={setScepRaDays} error={fieldError(err, "scepConfig.raCertificateLifetimeDays")} />
              <NumberInput label="One-time challenge lifetime (seconds)" min={60} max={2592000} value={scepChallengeSeconds} onChange={setScepChallengeSeconds} error={fieldError(err, "scepConfig.challengeLifetimeSeconds")} />
            </SimpleGrid>
          </Fieldset>
        )}
        <Fieldset legend="Defaults and renewal">
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput label="Default lifetime" description='e.g. "90d"; requests may ask for less' value={ttl} onChange={(e) => setTtl(e.currentTarget.value)} error={fieldError(err, "defaults.ttl", "defaults")} />
            <Select label="Default key algorithm" clearable data={options(KEY_ALGORITHM_LABELS)} value={keyAlgorithm} onChange={setKeyAlgorithm} error={fieldError(err, "defaults.keyAlgorithm")} />
          </SimpleGrid>
          <Switch mt="sm" label="Renew certificates Stamp holds the key of automatically" checked={autoRenew} onChange={(e) => setAutoRenew(e.currentTarget.checked)} />
          {autoRenew && <NumberInput mt="xs" label="Days before expiry" min={1} max={3650} value={renewBeforeDays} onChange={setRenewBeforeDays} error={fieldError(err, "apiConfig.renewBeforeDays")} />}
        </Fieldset>
        <ProblemAlert error={err} title={profile ? "The profile was not saved" : "The profile was not created"} />
        <Group><Button type="submit" loading={save.isPending}>{profile ? "Save profile" : "Create profile"}</Button></Group>
      </Stack>
    </form>
  );
}
