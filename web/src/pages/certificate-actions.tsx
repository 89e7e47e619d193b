import { useState } from "react";
import { Alert, Button, Group, Modal, PasswordInput, Select, Stack, Switch, Textarea, Text } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api, download, saveBlob } from "../api.js";
import { CERTS_PATH } from "../data.js";
import { fieldError, Pem, ProblemAlert } from "../components.js";
import { options, REVOCATION_REASON_LABELS, type Certificate, type RenewBody, type RenewResponse, type RevocationReason } from "../types.js";

/** Downloads of a certificate: PEM, DER, chain, bundle, and PKCS#12 behind a password prompt. */
export function DownloadActions({ cert }: { cert: Certificate }) {
  const base = `${CERTS_PATH}/${cert.id}`;
  const [p12Open, p12] = useDisclosure(false);
  const [password, setPassword] = useState("");
  const pkcs12 = useMutation({
    mutationFn: () => download("POST", `${base}/pkcs12`, `${cert.serialNumber}.p12`, { body: { password }, accept: "application/x-pkcs12" }),
    onSuccess: () => (p12.close(), setPassword("")),
  });
  const [fail, setFail] = useState<unknown>(null);
  const get = (path: string, name: string, accept: string) => download("GET", base + path, name, { accept }).catch(setFail);
  const bundle = async () => {
    try {
      const b = await api<{ certificate: string; certificateChain: string; privateKey: string | null }>("GET", `${base}/bundle`);
      const text = [b.certificate, b.certificateChain, b.privateKey ?? ""].map((s) => s.trim()).filter(Boolean).join("\n") + "\n";
      saveBlob(new Blob([text], { type: "application/x-pem-file" }), `${cert.serialNumber}.bundle.pem`);
    } catch (e) {
      setFail(e);
    }
  };
  return (
    <Stack gap="xs">
      <Group gap="xs">
        <Button size="xs" variant="default" onClick={() => get("/certificate?format=pem", `${cert.serialNumber}.crt.pem`, "application/x-pem-file")}>PEM</Button>
        <Button size="xs" variant="default" onClick={() => get("/certificate?format=der", `${cert.serialNumber}.crt.der`, "application/pkix-cert")}>DER</Button>
        <Button size="xs" variant="default" onClick={async () => {
          try {
            const r = await api<{ certificateChain: string }>("GET", `${base}/certificate?format=json`);
            saveBlob(new Blob([r.certificateChain], { type: "application/x-pem-file" }), `${cert.serialNumber}.chain.pem`);
          } catch (e) {
            setFail(e);
          }
        }}>Chain</Button>
        <Button size="xs" variant="default" onClick={bundle}>Bundle</Button>
        {cert.hasPrivateKey && <Button size="xs" variant="default" onClick={p12.open}>PKCS#12</Button>}
      </Group>
      <ProblemAlert error={fail} title="Download refused" />
      <Modal opened={p12Open} onClose={p12.close} title="Download PKCS#12">
        <form onSubmit={(e) => (e.preventDefault(), pkcs12.mutate())}>
          <Stack>
            <PasswordInput label="Password for the file" description="at least 4 characters; you need it to open the file" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={fieldError(pkcs12.error, "password")} data-autofocus />
            <ProblemAlert error={pkcs12.error} />
            <Button type="submit" loading={pkcs12.isPending}>Download</Button>
          </Stack>
        </form>
      </Modal>
    </Stack>
  );
}

/** Shows the private key Stamp holds, after saying that the read is audited. */
export function PrivateKeyAction({ cert }: { cert: Certificate }) {
  const [opened, modal] = useDisclosure(false);
  const read = useMutation({ mutationFn: () => api<{ privateKey: string }>("GET", `${CERTS_PATH}/${cert.id}/private-key`) });
  if (!cert.hasPrivateKey) return null;
  return (
    <>
      <Button size="xs" variant="default" color="orange" onClick={modal.open}>Show private key</Button>
      <Modal opened={opened} onClose={() => (modal.close(), read.reset())} title="Private key" size="lg">
        <Stack>
          <Alert color="orange">Reading the private key is recorded in the audit log with your name. Only admins and members allowed to read keys may.</Alert>
          {read.data ? <Pem label="Private key" pem={read.data.privateKey} /> : <Button color="orange" onClick={() => read.mutate()} loading={read.isPending}>Show the key</Button>}
          <ProblemAlert error={read.error} />
        </Stack>
      </Modal>
    </>
  );
}

/** Renew: a new key, the same key, or a new CSR. */
export function RenewAction({ cert, projectId }: { cert: Certificate; projectId: string }) {
  const [opened, modal] = useDisclosure(false);
  const [source, setSource] = useState<"new" | "reuse" | "csr">(cert.keySource === "csr" ? "csr" : "new");
  const [csr, setCsr] = useState("");
  const navigate = useNavigate();
  const qc = useQueryClient();
  const renew = useMutation({
    mutationFn: () => api<RenewResponse>("POST", `${CERTS_PATH}/${cert.id}/renew`, (source === "csr" ? { renewalKeySource: "csr", csr: csr.trim() } : { renewalKeySource: source }) satisfies RenewBody),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ["certificate"] });
      void qc.invalidateQueries({ queryKey: ["certificates", projectId] });
      modal.close();
      navigate(`/p/${projectId}/certificates/${r.certificateId}`);
    },
  });
  return (
    <>
      <Button size="xs" onClick={modal.open}>Renew</Button>
      <Modal opened={opened} onClose={modal.close} title="Renew this certificate">
        <Stack>
          <Select label="Key" allowDeselect={false} value={source} onChange={(v) => setSource(v as typeof source)} data={[
            { value: "new", label: "A new key made by Stamp" },
            ...(cert.keySource === "server" ? [{ value: "reuse", label: "The same key" }] : []),
            { value: "csr", label: "A new CSR I give" },
          ]} />
          {source === "csr" && <Textarea label="CSR (PEM)" autosize minRows={5} classNames={{ input: "pem" }} value={csr} onChange={(e) => setCsr(e.currentTarget.value)} error={fieldError(renew.error, "csr")} />}
          <ProblemAlert error={renew.error} title="Renewal refused" />
          <Button onClick={() => renew.mutate()} loading={renew.isPending}>Renew</Button>
        </Stack>
      </Modal>
    </>
  );
}

/** Revoke with an RFC 5280 §5.3.1 reason. */
export function RevokeAction({ cert }: { cert: Certificate }) {
  const [opened, modal] = useDisclosure(false);
  const [reason, setReason] = useState<RevocationReason>("UNSPECIFIED");
  const qc = useQueryClient();
  const revoke = useMutation({
    mutationFn: () => api("POST", `${CERTS_PATH}/${cert.id}/revoke`, { revocationReason: reason }),
    onSuccess: () => (modal.close(), void qc.invalidateQueries()),
  });
  return (
    <>
      <Button size="xs" color="red" variant="light" onClick={modal.open}>Revoke</Button>
      <Modal opened={opened} onClose={modal.close} title="Revoke this certificate">
        <Stack>
          <Text size="sm">Relying parties will see it on the next CRL and at once through OCSP. Only a certificate hold can be lifted later.</Text>
          <Select label="Reason" allowDeselect={false} data={options(REVOCATION_REASON_LABELS)} value={reason} onChange={(v) => setReason(v as RevocationReason)} error={fieldError(revoke.error, "revocationReason")} />
          <ProblemAlert error={revoke.error} title="Revocation refused" />
          <Button color="red" onClick={() => revoke.mutate()} loading={revoke.isPending}>Revoke certificate</Button>
        </Stack>
      </Modal>
    </>
  );
}

/** Lift a certificate hold; turn server-driven renewal on or off. */
export function HoldAndAutoRenew({ cert }: { cert: Certificate }) {
  const qc = useQueryClient();
  const lift = useMutation({ mutationFn: () => api("POST", `${CERTS_PATH}/${cert.id}/lift-hold`), onSuccess: () => void qc.invalidateQueries() });
  const auto = useMutation({ mutationFn: (on: boolean) => api("PATCH", `${CERTS_PATH}/${cert.id}`, { autoRenew: on }), onSuccess: () => void qc.invalidateQueries({ queryKey: ["certificate", cert.id] }) });
  return (
    <Stack gap="xs">
      {cert.revocationReasonName === "CERTIFICATE_HOLD" && <Button size="xs" variant="light" onClick={() => lift.mutate()} loading={lift.isPending}>Lift the hold</Button>}
      {cert.hasPrivateKey && cert.status === "active" && (
        <Switch label="Renew automatically before expiry" checked={cert.autoRenew ?? false} onChange={(e) => auto.mutate(e.currentTarget.checked)} disabled={auto.isPending} />
      )}
      <ProblemAlert error={lift.error ?? auto.error} />
    </Stack>
  );
}
