import { useState, type FormEvent } from "react";
import { Button, Group, NumberInput, SegmentedControl, Select, Stack, TextInput, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";
import { api } from "../api.js";
import { CA_PATH, useCas } from "../data.js";
import { fieldError, PageTitle, ProblemAlert } from "../components.js";
import { useProjectId } from "../routes.js";
import { KEY_ALGORITHM_LABELS, options, type Ca, type CreateCaBody, type KeyAlgorithm } from "../types.js";

/** Create a root CA, or an intermediate signed by a CA here or (parent "outside") by another CA. */
export function CreateCaPage() {
  const projectId = useProjectId();
  const [params] = useSearchParams();
  const cas = useCas(projectId);
  const [type, setType] = useState<"root" | "intermediate">(params.get("parent") ? "intermediate" : "root");
  const [name, setName] = useState("");
  const [commonName, setCommonName] = useState("");
  const [organization, setOrganization] = useState("");
  const [country, setCountry] = useState("");
  const [keyAlgorithm, setKeyAlgorithm] = useState<KeyAlgorithm>("EC_prime256v1");
  const [parent, setParent] = useState<string | null>(params.get("parent") ?? null);
  const [notAfter, setNotAfter] = useState("");
  const [maxPathLength, setMaxPathLength] = useState<number | string>(-1);
  const navigate = useNavigate();
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => {
      const body: CreateCaBody = {
        projectId,
        name: name.trim(),
        configuration: {
          type,
          commonName: commonName.trim(),
          keyAlgorithm,
          ...(organization.trim() ? { organization: organization.trim() } : {}),
          ...(country.trim() ? { country: country.trim() } : {}),
          ...(notAfter ? { notAfter: new Date(notAfter + "T00:00:00Z").toISOString() } : {}),
          ...(typeof maxPathLength === "number" ? { maxPathLength } : {}),
          ...(type === "intermediate" && parent && parent !== "outside" ? { parentCaId: parent } : {}),
        },
      };
      return api<Ca>("POST", CA_PATH, body);
    },
    onSuccess: (ca) => {
      void qc.invalidateQueries({ queryKey: ["cas", projectId] });
      navigate(`/p/${projectId}/cas/${ca.id}`);
    },
  });
  const submit = (e: FormEvent) => (e.preventDefault(), create.mutate());
  const err = create.error;
  return (
    <form onSubmit={submit} noValidate>
      <Stack maw={640}>
        <PageTitle>Create a CA</PageTitle>
        <SegmentedControl aria-label="CA type" value={type} onChange={(v) => setType(v as typeof type)} data={[{ value: "root", label: "Root CA" }, { value: "intermediate", label: "Intermediate CA" }]} />
        {type === "intermediate" && (
          <Select
            label="Signed by"
            required
            value={parent}
            onChange={setParent}
            error={fieldError(err, "configuration.parentCaId")}
            data={[...(cas.data?.filter((c) => c.status === "active").map((c) => ({ value: c.id, label: `${c.name} (${c.configuration.commonName})` })) ?? []), { value: "outside", label: "A CA outside Stamp (download a CSR, then import the certificate)" }]}
          />
        )}
        <TextInput label="Name" description="how Stamp lists this CA" required value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, "name")} />
        <TextInput label="Common name" required value={commonName} onChange={(e) => setCommonName(e.currentTarget.value)} error={fieldError(err, "configuration.commonName")} />
        <Group grow>
          <TextInput label="Organization" value={organization} onChange={(e) => setOrganization(e.currentTarget.value)} error={fieldError(err, "configuration.organization")} />
          <TextInput label="Country" description="two letters" maxLength={2} value={country} onChange={(e) => setCountry(e.currentTarget.value.toUpperCase())} error={fieldError(err, "configuration.country")} />
        </Group>
        <Select label="Key algorithm" required allowDeselect={false} data={options(KEY_ALGORITHM_LABELS)} value={keyAlgorithm} onChange={(v) => setKeyAlgorithm(v as KeyAlgorithm)} error={fieldError(err, "configuration.keyAlgorithm")} />
        <Group grow>
          <TextInput label="Valid until" type="date" description="empty: Stamp's default" value={notAfter} onChange={(e) => setNotAfter(e.currentTarget.value)} error={fieldError(err, "configuration.notAfter")} />
          <NumberInput label="Max path length" description="-1: no limit" min={-1} max={32} value={maxPathLength} onChange={setMaxPathLength} error={fieldError(err, "configuration.maxPathLength")} />
        </Group>
        <ProblemAlert error={err} title="The CA was not created" />
        <Text size="xs" c="dimmed">The key is made on the server and never leaves it.</Text>
        <Group><Button type="submit" loading={create.isPending}>Create CA</Button></Group>
      </Stack>
    </form>
  );
}
