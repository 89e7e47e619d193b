import { Alert, Button, Code, Group, Stack, Table, Text } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, get } from "../api.js";
import { PROFILES_PATH } from "../data.js";
import { ProblemAlert, when } from "../components.js";

type EabKey = { keyId: string; description: string; createdAt: string; revokedAt: string | null; accountId: string | null };

/** A profile's ACME External Account Binding keys (RFC 8555 §7.3.4): create (HMAC key shown once), list, revoke. */
export function EabKeys({ profileId }: { profileId: string }) {
  const base = `${PROFILES_PATH}/${profileId}/acme/eab-keys`;
  const qc = useQueryClient();
  const keys = useQuery({ queryKey: ["eab", profileId], queryFn: () => get<{ eabKeys: EabKey[] }>(base) });
  const create = useMutation({ mutationFn: () => api<{ eabKey: { keyId: string; hmacKey: string } }>("POST", base, {}).then((r) => r.eabKey), onSuccess: () => void qc.invalidateQueries({ queryKey: ["eab", profileId] }) });
  const revoke = useMutation({ mutationFn: (keyId: string) => api("POST", `${base}/${encodeURIComponent(keyId)}/revoke`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["eab", profileId] }) });
  return (
    <Stack gap="xs" mt="sm">
      <Group justify="space-between"><Text size="sm" fw={600}>EAB keys</Text><Button size="compact-xs" onClick={() => create.mutate()} loading={create.isPending}>New EAB key</Button></Group>
      {create.data && (
        <Alert color="orange" title="Copy the HMAC key now: it is shown once">
          <Text size="sm">Key id <Code>{create.data.keyId}</Code></Text>
          <Text size="sm">HMAC key <Code style={{ overflowWrap: "anywhere" }}>{create.data.hmacKey}</Code></Text>
        </Alert>
      )}
      {keys.data && keys.data.eabKeys.length > 0 && (
        <Table aria-label="EAB keys">
          <Table.Tbody>
            {keys.data.eabKeys.map((k) => (
              <Table.Tr key={k.keyId}>
                <Table.Td><Text size="xs" className="mono">{k.keyId}</Text></Table.Td>
                <Table.Td><Text size="xs">{when(k.createdAt)}</Text></Table.Td>
                <Table.Td><Text size="xs">{k.revokedAt ? "revoked" : k.accountId ? "bound to an account" : "unused"}</Text></Table.Td>
                <Table.Td>{!k.revokedAt && <Button size="compact-xs" variant="subtle" color="red" onClick={() => revoke.mutate(k.keyId)}>Revoke</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ProblemAlert error={keys.error ?? create.error ?? revoke.error} />
    </Stack>
  );
}
