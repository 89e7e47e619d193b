import { useState } from "react";
import { Button, Checkbox, Group, Modal, Select, Stack, Text, Textarea } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate } from "react-router";
import { api, saveBlob } from "../api.js";
import { CA_PATH } from "../data.js";
import { fieldError, ProblemAlert } from "../components.js";
import type { Ca, UpdateCaBody } from "../types.js";

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
      <Textarea label="Signed certificate (PEM)" autosize minRows={4} className="pem" value={certificate} onChange={(e) => setCertificate(e.currentTarget.value)} error={fieldError(imp.error, "certificate")} />
      <Textarea label="Chain up to the root (PEM)" autosize minRows={4} className="pem" value={chain} onChange={(e) => setChain(e.currentTarget.value)} error={fieldError(imp.error, "certificateChain")} />
      <ProblemAlert error={csr.error ?? imp.error} />
      <Group><Button onClick={() => imp.mutate()} loading={imp.isPending}>Import certificate</Button></Group>
    </Stack>
  );
}
