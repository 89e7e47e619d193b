import { useEffect, useMemo, useState, type FormEvent } from "react";
import { ActionIcon, Alert, Button, Card, Code, FileInput, Group, SegmentedControl, Select, Stack, Text, Textarea, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, saveBlob } from "../api.js";
import { CERTS_PATH, useProfiles } from "../data.js";
import { Empty, fieldError, Loading, PageTitle, Pem, ProblemAlert } from "../components.js";
import { useProjectId } from "../routes.js";
import { KEY_ALGORITHM_LABELS, options, type IssueBody, type IssueResponse, type KeyAlgorithm, type PreviewResponse } from "../types.js";

type San = { type: "dns_name" | "ip_address" | "email" | "uri"; value: string };
const SAN_TYPES = [
  { value: "dns_name", label: "DNS name" },
  { value: "ip_address", label: "IP address" },
  { value: "email", label: "Email" },
  { value: "uri", label: "URI" },
];

/** The issue wizard: pick a profile, fill in attributes or give a CSR, see the dry run, issue. */
export function IssuePage() {
  const projectId = useProjectId();
  const [params] = useSearchParams();
  const profiles = useProfiles(projectId);
  const [profileId, setProfileId] = useState<string | null>(params.get("profileId"));
  const [mode, setMode] = useState<"generate" | "csr">("generate");
  const [csr, setCsr] = useState("");
  const [commonName, setCommonName] = useState("");
  const [sans, setSans] = useState<San[]>([{ type: "dns_name", value: "" }]);
  const [ttl, setTtl] = useState("");
  const [keyAlgorithm, setKeyAlgorithm] = useState<KeyAlgorithm | null>(null);
  const qc = useQueryClient();
  const profile = profiles.data?.certificateProfiles.find((p) => p.id === profileId);
  const apiProfiles = profiles.data?.certificateProfiles.filter((p) => p.enrollmentMethods.includes("api")) ?? [];

  // The profile's defaults fill the fields (the server applies them anyway when a field is left out).
  useEffect(() => {
    const d = (profile?.defaults ?? {}) as { ttl?: string; keyAlgorithm?: KeyAlgorithm };
    setTtl(d.ttl ?? "");
    setKeyAlgorithm(d.keyAlgorithm ?? null);
  }, [profile?.id]);

  const body = useMemo((): IssueBody | null => {
    if (!profileId) return null;
    if (mode === "csr") return { profileId, csr: csr.trim(), attributes: ttl ? { ttl } : {} };
    const altNames = sans.filter((s) => s.value.trim()).map((s) => ({ type: s.type, value: s.value.trim() }));
    return { profileId, attributes: { ...(commonName.trim() ? { commonName: commonName.trim() } : {}), ...(altNames.length ? { altNames } : {}), ...(ttl ? { ttl } : {}), ...(keyAlgorithm ? { keyAlgorithm } : {}) } };
  }, [profileId, mode, csr, commonName, sans, ttl, keyAlgorithm]);

  // The live dry run: half a second after the last change, the preview endpoint says what would be issued, or every violation.
  const preview = useMutation({ mutationFn: (b: IssueBody) => api<{ preview: PreviewResponse }>("POST", `${CERTS_PATH}/preview`, b) });
  useEffect(() => {
    if (!body || (mode === "csr" && !body.csr)) return;
    const t = setTimeout(() => preview.mutate(body), 500);
    return () => clearTimeout(t);
  }, [JSON.stringify(body)]);

  const issue = useMutation({
    mutationFn: (b: IssueBody) => api<IssueResponse>("POST", CERTS_PATH, b),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ["certificates", projectId] }),
  });
  const err = issue.error ?? preview.error;
  // Whether what the dry run shows answers the fields as they are now (not a change still waiting for its
  // half second, nor a request in flight): "current", "pending", or "none" before there is anything to check.
  const dryRun = !body || (mode === "csr" && !body.csr) ? "none" : !preview.isPending && preview.variables !== undefined && JSON.stringify(preview.variables) === JSON.stringify(body) ? "current" : "pending";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (body) issue.mutate(body);
  };

  if (issue.data?.certificate) return <Issued projectId={projectId} result={issue.data} onAnother={() => issue.reset()} />;
  if (profiles.isPending) return <Loading />;
  if (!apiProfiles.length)
    return (
      <Stack>
        <PageTitle>Issue a certificate</PageTitle>
        <Empty action={<Button component={Link} to={`/p/${projectId}/profiles`}>Go to profiles</Button>}>No profile of this project allows API enrollment. Create a profile (a template plus an issuing CA) first.</Empty>
      </Stack>
    );
  return (
    <form onSubmit={submit} noValidate data-dry-run={dryRun}>
      <Stack maw={760}>
        <PageTitle>Issue a certificate</PageTitle>
        <Select label="Profile" required data={apiProfiles.map((p) => ({ value: p.id, label: p.slug }))} value={profileId} onChange={setProfileId} error={fieldError(err, "profileId")} searchable />
        <SegmentedControl value={mode} onChange={(v) => setMode(v as "generate" | "csr")} data={[{ value: "generate", label: "Stamp makes the key" }, { value: "csr", label: "I have a CSR" }]} aria-label="Key source" />
        {mode === "csr" ? (
          <>
            <FileInput label="Upload a CSR file" accept=".csr,.pem,.req,text/plain" onChange={async (f) => setCsr(f ? await f.text() : "")} clearable />
            <Textarea label="CSR (PEM)" autosize minRows={6} maxRows={14} value={csr} onChange={(e) => setCsr(e.currentTarget.value)} classNames={{ input: "pem" }} error={fieldError(err, "csr")} placeholder="-----BEGIN CERTIFICATE REQUEST-----" />
          </>
        ) : (
          <>
            <TextInput label="Common name" value={commonName} onChange={(e) => setCommonName(e.currentTarget.value)} error={fieldError(err, "commonName", "attributes.commonName", "subject.commonName", "common_name")} />
            <Stack gap={6}>
              <Text size="sm" fw={500}>Subject alternative names</Text>
              {sans.map((s, i) => (
                <Group key={i} gap="xs" align="flex-start" wrap="nowrap">
                  <Select aria-label={`SAN ${i + 1} type`} w={150} data={SAN_TYPES} value={s.type} allowDeselect={false} onChange={(v) => setSans(sans.map((x, j) => (j === i ? { ...x, type: v as San["type"] } : x)))} />
                  <TextInput aria-label={`SAN ${i + 1} value`} style={{ flex: 1 }} value={s.value} onChange={(e) => { const value = e.currentTarget.value; setSans(sans.map((x, j) => (j === i ? { ...x, value } : x))); }} error={fieldError(err, `altNames.${i}`, `attributes.altNames.${i}`, `altNames[${i}]`)} />
                  <ActionIcon variant="subtle" color="red" size="lg" aria-label={`Remove SAN ${i + 1}`} onClick={() => setSans(sans.filter((_, j) => j !== i))}>×</ActionIcon>
                </Group>
              ))}
              {fieldError(err, "altNames", "attributes.altNames", "sans") && <Text c="red" size="sm">{fieldError(err, "altNames", "attributes.altNames", "sans")}</Text>}
              <Button variant="subtle" size="xs" w="fit-content" onClick={() => setSans([...sans, { type: "dns_name", value: "" }])}>Add a SAN</Button>
            </Stack>
            <Select label="Key algorithm" clearable placeholder="the profile's default" data={options(KEY_ALGORITHM_LABELS)} value={keyAlgorithm} onChange={(v) => setKeyAlgorithm(v as KeyAlgorithm | null)} error={fieldError(err, "keyAlgorithm", "attributes.keyAlgorithm")} />
          </>
        )}
        <TextInput label="Lifetime (TTL)" description='e.g. "90d", "1y", "12h"; empty takes the profile default' value={ttl} onChange={(e) => setTtl(e.currentTarget.value)} error={fieldError(err, "ttl", "attributes.ttl", "validity", "notAfter")} />
        <ProblemAlert error={err} title={issue.error ? "The server refused to issue" : "The dry run found problems"} />
        {!err && preview.data && <PreviewCard preview={preview.data.preview} />}
        <Group>
          <Button type="submit" loading={issue.isPending} disabled={!body}>Issue certificate</Button>
        </Group>
      </Stack>
    </form>
  );
}

/** The dry run's answer: the certificate that would be signed, decoded, as text. */
function PreviewCard({ preview }: { preview: PreviewResponse }) {
  return (
    <Card withBorder data-testid="preview">
      <Title order={3} size="h5" mb="xs">Dry run: the certificate would be</Title>
      <Stack gap={2}>
        {Object.entries(preview.text).map(([k, v]) => (
          <Text size="sm" key={k}>
            <Text span c="dimmed" size="sm">{k}: </Text>
            {typeof v === "string" ? v : JSON.stringify(v)}
          </Text>
        ))}
        {preview.warnings?.map((w, i) => <Alert key={i} color="yellow" mt="xs">{w.field}: {w.message}</Alert>)}
      </Stack>
    </Card>
  );
}

/** The issued certificate; a key Stamp made is shown once, with download buttons. */
function Issued({ projectId, result, onAnother }: { projectId: string; result: IssueResponse; onAnother: () => void }) {
  const c = result.certificate!;
  const file = (text: string, name: string) => saveBlob(new Blob([text], { type: "application/x-pem-file" }), name);
  return (
    <Stack maw={860}>
      <PageTitle actions={<><Button component={Link} to={`/p/${projectId}/certificates/${c.certificateId}`}>Open the certificate</Button><Button variant="default" onClick={onAnother}>Issue another</Button></>}>Certificate issued</PageTitle>
      <Text>Serial number <Code>{c.serialNumber}</Code></Text>
      {c.privateKey && (
        <Alert color="orange" title="Save the private key now" role="status">
          Stamp made this key. You will not see it again on this page: download it now and keep it safe.
        </Alert>
      )}
      <Group>
        <Button onClick={() => file(c.certificate, `${c.serialNumber}.crt.pem`)}>Download certificate</Button>
        <Button variant="default" onClick={() => file(c.certificateChain, `${c.serialNumber}.chain.pem`)}>Download chain</Button>
        {c.privateKey && <Button color="orange" onClick={() => file(c.privateKey!, `${c.serialNumber}.key.pem`)}>Download private key</Button>}
      </Group>
      <Pem label="Certificate" pem={c.certificate} />
      <Pem label="Chain" pem={c.certificateChain} />
      {c.privateKey && <Pem label="Private key" pem={c.privateKey} />}
    </Stack>
  );
}
