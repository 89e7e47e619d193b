import { useState } from "react";
import { Button, Checkbox, Group, Modal, NumberInput, Select, Stack, Switch, TagsInput, Text, Textarea, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api, saveBlob } from "../api.js";
import { CA_PATH } from "../data.js";
import { fieldError, Pem, ProblemAlert } from "../components.js";
import type { Ca, SignIntermediateBody, SignIntermediateResponse, UpdateCaBody } from "../types.js";

/** Disable or enable a CA (a disabled CA signs nothing, its CRLs and OCSP keep running). */
export function StatusAction({ ca }: { ca: Ca }) {
  const qc = useQueryClient();
  const next = ca.status === "active" ? "disabled" : "active";
  const change = useMutation({ mutationFn: () => api<Ca>("PATCH", `${CA_PATH}/${ca.id}`, { status: next } satisfies UpdateCaBody), onSuccess: () => void qc.invalidateQueries({ queryKey: ["cas"] }) });
  if (ca.status === "pending-certificate") return null;
  return (
    <>
      <Button size="xs" variant="default" onClick={() => change.mutate()} loading={change.isPending}>{next === "disabled" ? "Disable" : "Enable"}</Button>
      <ProblemAlert error={change.error} />
    </>
  );
}

/** Delete; when the server refuses (CAs, profiles or certificates depend on it), its reasons are shown. */
export function DeleteAction({ ca, projectId }: { ca: Ca; projectId: string }) {
  const [opened, modal] = useDisclosure(false);
  const [force, setForce] = useState(false);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const remove = useMutation({
    mutationFn: () => api<Ca>("DELETE", `${CA_PATH}/${ca.id}${force ? "?force=true" : ""}`),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ["cas", projectId] });
      navigate(`/p/${projectId}/cas`);
    },
  });
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={modal.open}>Delete</Button>
      <Modal opened={opened} onClose={() => (modal.close(), remove.reset())} title={`Delete ${ca.name}?`}>
        <Stack>
          <Text size="sm">The CA's key is destroyed. Certificates it issued stay in the inventory and on its last CRL.</Text>
          <Checkbox label="Delete even if active child CAs depend on it" checked={force} onChange={(e) => setForce(e.currentTarget.checked)} />
          <ProblemAlert error={remove.error} title="The server refused to delete this CA" />
          <Button color="red" onClick={() => remove.mutate()} loading={remove.isPending}>Delete CA</Button>
        </Stack>
      </Modal>
    </>
  );
}

/** Renew the CA certificate with the same key, or roll over to a new key. */
export function RenewCaAction({ ca }: { ca: Ca }) {
  const [opened, modal] = useDisclosure(false);
  const [type, setType] = useState<"existing" | "new">("existing");
  const qc = useQueryClient();
  const renew = useMutation({ mutationFn: () => api("POST", `${CA_PATH}/${ca.id}/renew`, { type }), onSuccess: () => (modal.close(), void qc.invalidateQueries()) });
  if (ca.status === "pending-certificate") return null;
  return (
    <>
      <Button size="xs" variant="default" onClick={modal.open}>Renew or roll over</Button>
      <Modal opened={opened} onClose={modal.close} title="Renew the CA certificate">
        <Stack>
          <Select label="Key" allowDeselect={false} value={type} onChange={(v) => setType(v as typeof type)} data={[{ value: "existing", label: "Keep the key (renew)" }, { value: "new", label: "A new key (roll over)" }]} />
          <ProblemAlert error={renew.error} />
          <Button onClick={() => renew.mutate()} loading={renew.isPending}>Renew</Button>
        </Stack>
      </Modal>
    </>
  );
}

/** For an intermediate signed outside Stamp: download its CSR, then import the certificate and chain. */
export function OutsideSigning({ ca }: { ca: Ca }) {
  const [certificate, setCertificate] = useState("");
  const [chain, setChain] = useState("");
  const qc = useQueryClient();
  const csr = useMutation({ mutationFn: () => api<{ csr: string }>("GET", `${CA_PATH}/${ca.id}/csr`), onSuccess: (r) => saveBlob(new Blob([r.csr], { type: "application/pkcs10" }), `${ca.name}.csr.pem`) });
  const imp = useMutation({ mutationFn: () => api("POST", `${CA_PATH}/${ca.id}/import-certificate`, { certificate: certificate.trim(), certificateChain: chain.trim() }), onSuccess: () => void qc.invalidateQueries() });
  if (ca.status !== "pending-certificate") return null;
  return (
    <Stack maw={760}>
      <Text>This intermediate waits for its certificate: have another CA sign its CSR, then import the result.</Text>
      <Group><Button variant="default" onClick={() => csr.mutate()} loading={csr.isPending}>Download the CSR</Button></Group>
      <Textarea label="Signed certificate (PEM)" autosize minRows={4} classNames={{ input: "pem" }} value={certificate} onChange={(e) => setCertificate(e.currentTarget.value)} error={fieldError(imp.error, "certificate")} />
      <Textarea label="Chain up to the root (PEM)" autosize minRows={4} classNames={{ input: "pem" }} value={chain} onChange={(e) => setChain(e.currentTarget.value)} error={fieldError(imp.error, "certificateChain")} />
      <ProblemAlert error={csr.error ?? imp.error} />
      <Group><Button onClick={() => imp.mutate()} loading={imp.isPending}>Import certificate</Button></Group>
    </Stack>
  );
}

/** Sign another CA's CSR as a subordinate CA (e.g. one created in another Stamp or elsewhere); the result is shown with its chain. */
export function SignIntermediateAction({ ca }: { ca: Ca }) {
  const [opened, modal] = useDisclosure(false);
  const [csr, setCsr] = useState("");
  const [notAfter, setNotAfter] = useState(() => new Date(Date.now() + 5 * 365 * 86_400_000).toISOString().slice(0, 10));
  const [maxPathLength, setMaxPathLength] = useState<number | string>(0);
  const sign = useMutation({
    mutationFn: () => api<SignIntermediateResponse>("POST", `${CA_PATH}/${ca.id}/sign-intermediate`, { csr: csr.trim(), notAfter, ...(typeof maxPathLength === "number" ? { maxPathLength } : {}) } satisfies SignIntermediateBody),
  });
  if (ca.status !== "active") return null;
  return (
    <>
      <Button size="xs" variant="default" onClick={modal.open}>Sign an intermediate CSR</Button>
      <Modal opened={opened} onClose={() => (modal.close(), sign.reset())} title={`Sign a subordinate CA with ${ca.name}`} size="lg">
        {sign.data ? (
          <Stack>
            <Text size="sm">Signed: serial <span className="mono">{sign.data.serialNumber}</span>. Give the certificate and chain to the subordinate CA.</Text>
            <Group>
              <Button size="xs" variant="default" onClick={() => saveBlob(new Blob([sign.data.certificate], { type: "application/x-pem-file" }), "intermediate.pem")}>Download certificate</Button>
              <Button size="xs" variant="default" onClick={() => saveBlob(new Blob([sign.data.certificateChain], { type: "application/x-pem-file" }), "intermediate-chain.pem")}>Download chain</Button>
            </Group>
            <Pem label="Signed certificate" pem={sign.data.certificate} />
          </Stack>
        ) : (
          <Stack>
            <Textarea label="CSR of the subordinate CA (PEM)" autosize minRows={6} maxRows={14} classNames={{ input: "pem" }} value={csr} onChange={(e) => setCsr(e.currentTarget.value)} error={fieldError(sign.error, "csr")} data-autofocus />
            <TextInput label="Valid until" description="a date (YYYY-MM-DD) or date-time; no later than this CA" value={notAfter} onChange={(e) => setNotAfter(e.currentTarget.value)} error={fieldError(sign.error, "notAfter")} />
            <NumberInput label="Path length" description="-1: no limit; 0: it may issue leaf certificates only" min={-1} max={32} value={maxPathLength} onChange={setMaxPathLength} error={fieldError(sign.error, "maxPathLength")} />
            <ProblemAlert error={sign.error} title="The CSR was not signed" />
            <Group><Button onClick={() => sign.mutate()} loading={sign.isPending}>Sign</Button></Group>
          </Stack>
        )}
      </Modal>
    </>
  );
}

/** The CA's revocation and AIA settings: extra CRL distribution points, OCSP on/off and its signer, CRL validity; and its name. */
export function CaSettingsAction({ ca }: { ca: Ca }) {
  const [opened, modal] = useDisclosure(false);
  return (
    <>
      <Button size="xs" variant="default" onClick={modal.open}>Settings</Button>
      <Modal opened={opened} onClose={modal.close} title={`Settings of ${ca.name}`} size="lg">
        {/* Mounted on each opening, so the fields start from the CA as it is now, not as it was when the page loaded. */}
        <CaSettingsForm ca={ca} onDone={modal.close} />
      </Modal>
    </>
  );
}

function CaSettingsForm({ ca, onDone }: { ca: Ca; onDone: () => void }) {
  const cfg = ca.configuration;
  const [name, setName] = useState(ca.name);
  const [cdps, setCdps] = useState<string[]>(cfg.crlDistributionPointUrls);
  const [ocsp, setOcsp] = useState(cfg.isOcspEnabled);
  const [signer, setSigner] = useState<string>(cfg.ocspSigner);
  const [hours, setHours] = useState<number | string>(Math.round(cfg.crlValiditySeconds / 3600));
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: () =>
      api<Ca>("PATCH", `${CA_PATH}/${ca.id}`, {
        name: name.trim(),
        configuration: { crlDistributionPointUrls: cdps, isOcspEnabled: ocsp },
        ocspSigner: signer as "delegated" | "ca",
        ...(typeof hours === "number" ? { crlValiditySeconds: hours * 3600 } : {}),
      } satisfies UpdateCaBody),
    onSuccess: () => (onDone(), void qc.invalidateQueries({ queryKey: ["cas"] })),
  });
  return (
    <Stack>
      <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(save.error, "name")} />
      <TagsInput label="Extra CRL distribution points" description="http(s) URLs written after Stamp's own CDP into every certificate this CA signs; press Enter after each" value={cdps} onChange={setCdps} error={fieldError(save.error, "configuration.crlDistributionPointUrls")} />
      <Switch label="OCSP responder on (named in the AIA of the certificates it signs)" checked={ocsp} onChange={(e) => setOcsp(e.currentTarget.checked)} />
      <Select label="OCSP signer" allowDeselect={false} value={signer} onChange={(v) => v && setSigner(v)} data={[{ value: "delegated", label: "A delegated responder certificate" }, { value: "ca", label: "The CA key itself" }]} error={fieldError(save.error, "ocspSigner")} />
      <NumberInput label="CRL validity (hours)" description="from thisUpdate to nextUpdate; 1 to 2160" min={1} max={2160} value={hours} onChange={setHours} error={fieldError(save.error, "crlValiditySeconds")} />
      <ProblemAlert error={save.error} title="The settings were not saved" />
      <Group><Button onClick={() => save.mutate()} loading={save.isPending}>Save settings</Button></Group>
    </Stack>
  );
}
