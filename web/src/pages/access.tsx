import { useState, type FormEvent } from "react";
import { Alert, Badge, Button, Card, Checkbox, Code, Group, Modal, MultiSelect, NumberInput, PasswordInput, Select, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, get } from "../api.js";
import { useProfiles } from "../data.js";
import { Empty, fieldError, Loading, PageTitle, ProblemAlert, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { AdminGate, useMe } from "../layout.js";
import type { AddMemberBody, ClientSecretData, CreateIdentityBody, Identity, Membership } from "../types.js";

const ROLES = [{ value: "admin", label: "Admin" }, { value: "member", label: "Member" }, { value: "viewer", label: "Viewer" }];
type Role = "admin" | "member" | "viewer";

/** Access: the project's members (people and machine identities) with their roles and profile narrowing; identities and their client secrets; users for server admins. */
export function AccessPage() {
  const projectId = useProjectId();
  return <AdminGate projectId={projectId} what="Access"><AccessAdmin projectId={projectId} /></AdminGate>;
}

function AccessAdmin({ projectId }: { projectId: string }) {
  const isAdmin = true;
  const me = useMe();
  const base = `/api/v1/projects/${projectId}`;
  const members = useQuery({ queryKey: ["members", projectId], queryFn: () => get<{ memberships: Membership[] }>(`${base}/memberships`).then((r) => r.memberships) });
  const profiles = useProfiles(projectId);
  const slugOf = (id: string) => profiles.data?.certificateProfiles.find((p) => p.id === id || p.slug === id)?.slug ?? id;
  const [editing, setEditing] = useState<Membership | "new" | null>(null);
  const qc = useQueryClient();
  const remove = useMutation({ mutationFn: (m: Membership) => api("DELETE", `${base}/memberships/${m.id}`), onSuccess: () => void qc.invalidateQueries({ queryKey: ["members", projectId] }) });
  return (
    <Stack>
      <PageTitle actions={isAdmin && <Button onClick={() => setEditing("new")}>Add a member</Button>}>Access</PageTitle>
      <ProblemAlert error={members.error ?? remove.error} />
      {members.isPending ? (
        <Loading label="Loading members" />
      ) : (
        <Table aria-label="Members">
          <Table.Thead><Table.Tr><Table.Th>Who</Table.Th><Table.Th>Role</Table.Th><Table.Th>Profiles</Table.Th><Table.Th>Private keys</Table.Th><Table.Th>Actions</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {members.data?.map((m) => (
              <Table.Tr key={m.id}>
                <Table.Td><Text size="sm">{m.email ?? m.identityName}</Text><Text size="xs" c="dimmed">{m.principalType === "identity" ? "machine identity" : "user"}</Text></Table.Td>
                <Table.Td><Badge variant="light">{m.role}</Badge></Table.Td>
                <Table.Td><Text size="sm">{m.profiles ? m.profiles.map(slugOf).join(", ") : "all"}</Text></Table.Td>
                <Table.Td><Text size="sm">{m.role === "admin" || m.canReadPrivateKeys ? "may read" : "no"}</Text></Table.Td>
                <Table.Td>
                  {isAdmin && (
                    <Group gap={4} wrap="nowrap">
                      <Button size="compact-xs" variant="subtle" onClick={() => setEditing(m)} aria-label={`Change ${m.email ?? m.identityName}`}>Change</Button>
                      <Button size="compact-xs" variant="subtle" color="red" onClick={() => remove.mutate(m)} aria-label={`Remove ${m.email ?? m.identityName}`}>Remove</Button>
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? "Add a member" : "Change a member"}>
        {editing !== null && <MemberForm projectId={projectId} member={editing === "new" ? undefined : editing} onDone={() => setEditing(null)} />}
      </Modal>
      <Identities projectId={projectId} isAdmin={isAdmin} />
      {me.data?.isServerAdmin && <Users />}
    </Stack>
  );
}

function ProfilePicker({ projectId, value, onChange, error }: { projectId: string; value: string[]; onChange: (v: string[]) => void; error?: string }) {
  const profiles = useProfiles(projectId);
  return <MultiSelect label="Only these profiles" description="none: every profile of the project" data={profiles.data?.certificateProfiles.map((p) => ({ value: p.id, label: p.slug })) ?? []} value={value} onChange={onChange} error={error} />;
}

/** Add a user by email or change a membership (the API's POST adds or updates). */
function MemberForm({ projectId, member, onDone }: { projectId: string; member?: Membership; onDone: () => void }) {
  const [email, setEmail] = useState(member?.email ?? "");
  const [role, setRole] = useState<Role>(member?.role ?? "member");
  const [profiles, setProfiles] = useState<string[]>(member?.profiles ?? []);
  const [keys, setKeys] = useState(member?.canReadPrivateKeys ?? false);
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: () => {
      const who = member?.principalType === "identity" ? { identityId: member.principalId! } : { email: email.trim() };
      return api("POST", `/api/v1/projects/${projectId}/memberships`, { ...who, role, profiles: profiles.length ? profiles : null, canReadPrivateKeys: keys } satisfies AddMemberBody);
    },
    onSuccess: () => (void qc.invalidateQueries({ queryKey: ["members", projectId] }), onDone()),
  });
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), save.mutate())} noValidate>
      <Stack>
        {member?.principalType !== "identity" && <TextInput label="Email" type="email" disabled={!!member} value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(save.error, "email")} data-autofocus />}
        <Select label="Role" allowDeselect={false} data={ROLES} value={role} onChange={(v) => v && setRole(v as Role)} error={fieldError(save.error, "role")} />
        <ProfilePicker projectId={projectId} value={profiles} onChange={setProfiles} error={fieldError(save.error, "profiles")} />
        <Checkbox label="May read private keys Stamp generated (admins always may)" checked={keys} onChange={(e) => setKeys(e.currentTarget.checked)} />
        <ProblemAlert error={save.error} title="The membership was not saved" />
        <Group><Button type="submit" loading={save.isPending}>{member ? "Save" : "Add member"}</Button></Group>
      </Stack>
    </form>
  );
}

/** Machine identities: create (with role and profile narrowing), delete, and their client secrets. */
function Identities({ projectId, isAdmin }: { projectId: string; isAdmin: boolean }) {
  const list = useQuery({ queryKey: ["identities", projectId], queryFn: () => get<{ identities: Identity[] }>(`/api/v1/projects/${projectId}/identities`).then((r) => r.identities) });
  const [opened, modal] = useDisclosure(false);
  const qc = useQueryClient();
  const remove = useMutation({ mutationFn: (id: string) => api("DELETE", `/api/v1/identities/${id}`), onSuccess: () => (void qc.invalidateQueries({ queryKey: ["identities", projectId] }), void qc.invalidateQueries({ queryKey: ["members", projectId] })) });
  return (
    <Stack gap="xs" mt="md">
      <Group justify="space-between"><Title order={3} size="h4">Machine identities</Title>{isAdmin && <Button size="xs" onClick={modal.open}>Create an identity</Button>}</Group>
      <ProblemAlert error={list.error ?? remove.error} />
      {list.isPending ? (
        <Loading label="Loading identities" />
      ) : list.data?.length ? (
        list.data.map((i) => (
          <Card withBorder key={i.id}>
            <Group justify="space-between">
              <div>
                <Text fw={600}>{i.name}</Text>
                <Text size="xs" c="dimmed">client id <span className="mono">{i.clientId}</span> · tokens live {i.accessTokenTTL} s</Text>
              </div>
              {isAdmin && <Button size="compact-xs" variant="subtle" color="red" onClick={() => remove.mutate(i.id)} aria-label={`Delete ${i.name}`}>Delete</Button>}
            </Group>
            {isAdmin && <ClientSecrets identity={i} />}
          </Card>
        ))
      ) : (
        <Empty action={isAdmin && <Button size="xs" onClick={modal.open}>Create an identity</Button>}>No machine identity. A machine identity lets a script or the stamp agent sign in with a client id and secret.</Empty>
      )}
      <Modal opened={opened} onClose={modal.close} title="Create a machine identity">
        <IdentityForm projectId={projectId} onDone={modal.close} />
      </Modal>
    </Stack>
  );
}

function IdentityForm({ projectId, onDone }: { projectId: string; onDone: () => void }) {
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("member");
  const [profiles, setProfiles] = useState<string[]>([]);
  const [ttl, setTtl] = useState<number | string>(3600);
  const qc = useQueryClient();
  const create = useMutation({
    mutationFn: () => api("POST", "/api/v1/identities", { projectId, name: name.trim(), role, ...(profiles.length ? { profiles } : {}), ...(typeof ttl === "number" ? { accessTokenTTL: ttl } : {}) } satisfies CreateIdentityBody),
    onSuccess: () => (void qc.invalidateQueries({ queryKey: ["identities", projectId] }), void qc.invalidateQueries({ queryKey: ["members", projectId] }), onDone()),
  });
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), create.mutate())} noValidate>
      <Stack>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(create.error, "name")} data-autofocus />
        <Select label="Role" allowDeselect={false} data={ROLES} value={role} onChange={(v) => v && setRole(v as Role)} error={fieldError(create.error, "role")} />
        <ProfilePicker projectId={projectId} value={profiles} onChange={setProfiles} error={fieldError(create.error, "profiles")} />
        <NumberInput label="Access token lifetime (seconds)" min={60} max={86400} value={ttl} onChange={setTtl} error={fieldError(create.error, "accessTokenTTL")} />
        <ProblemAlert error={create.error} title="The identity was not created" />
        <Group><Button type="submit" loading={create.isPending}>Create identity</Button></Group>
      </Stack>
    </form>
  );
}

/** An identity's client secrets: create (the secret is shown once), list, revoke. */
function ClientSecrets({ identity }: { identity: Identity }) {
  const base = `/api/v1/identities/${identity.id}/universal-auth/client-secrets`;
  const list = useQuery({ queryKey: ["client-secrets", identity.id], queryFn: () => get<{ clientSecretData: ClientSecretData[] }>(base).then((r) => r.clientSecretData) });
  const [description, setDescription] = useState("");
  const qc = useQueryClient();
  const done = { onSuccess: () => void qc.invalidateQueries({ queryKey: ["client-secrets", identity.id] }) };
  const create = useMutation({ mutationFn: () => api<{ clientSecret: string }>("POST", base, { ...(description.trim() ? { description: description.trim() } : {}) }), ...done });
  const revoke = useMutation({ mutationFn: (id: string) => api("POST", `${base}/${id}/revoke`), ...done });
  return (
    <Stack gap="xs" mt="sm">
      <Group align="flex-end" gap="xs">
        <TextInput size="xs" label={`New client secret for ${identity.name}: description`} value={description} onChange={(e) => setDescription(e.currentTarget.value)} />
        <Button size="xs" onClick={() => create.mutate()} loading={create.isPending}>Create client secret</Button>
      </Group>
      {create.data && (
        <Alert color="orange" title="Copy the client secret now: it is shown once" data-testid="client-secret">
          <Text size="sm">Client id <Code>{identity.clientId}</Code></Text>
          <Text size="sm">Client secret <Code style={{ overflowWrap: "anywhere" }}>{create.data.clientSecret}</Code></Text>
        </Alert>
      )}
      {list.data && list.data.length > 0 && (
        <Table aria-label={`Client secrets of ${identity.name}`}>
          <Table.Thead><Table.Tr><Table.Th>Prefix</Table.Th><Table.Th>Description</Table.Th><Table.Th>Created</Table.Th><Table.Th>Last used</Table.Th><Table.Th>State</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data.map((c) => (
              <Table.Tr key={c.id}>
                <Table.Td><Text size="xs" className="mono">{c.clientSecretPrefix}…</Text></Table.Td>
                <Table.Td><Text size="xs">{c.description || "—"}</Text></Table.Td>
                <Table.Td><Text size="xs">{when(c.createdAt)}</Text></Table.Td>
                <Table.Td><Text size="xs">{when(c.lastUsedAt)}</Text></Table.Td>
                <Table.Td>{c.revokedAt ? <Text size="xs">revoked</Text> : <Button size="compact-xs" variant="subtle" color="red" onClick={() => revoke.mutate(c.id)} aria-label={`Revoke ${c.clientSecretPrefix}`}>Revoke</Button>}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <ProblemAlert error={list.error ?? create.error ?? revoke.error} />
    </Stack>
  );
}

/** Users (server admins): create an account, end every session of one. The API lists no users, so this is by email or id. */
function Users() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [serverAdmin, setServerAdmin] = useState(false);
  const [created, setCreated] = useState<{ id: string; email: string }[]>([]);
  const create = useMutation({
    mutationFn: () => api<{ user: { id: string; email: string } }>("POST", "/api/v1/users", { email: email.trim(), password, isServerAdmin: serverAdmin }),
    onSuccess: (r) => (setCreated((c) => [r.user, ...c]), setEmail(""), setPassword("")),
  });
  const endSessions = useMutation({ mutationFn: (id: string) => api("POST", `/api/v1/users/${id}/revoke-tokens`) });
  return (
    <Stack gap="xs" mt="md">
      <Title order={3} size="h4">Users (server admins)</Title>
      <form onSubmit={(e: FormEvent) => (e.preventDefault(), create.mutate())} noValidate>
        <Group align="flex-start">
          <TextInput label="New user's email" type="email" value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(create.error, "email")} />
          <PasswordInput label="Initial password" value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={fieldError(create.error, "password")} autoComplete="new-password" />
          <Checkbox mt={30} label="Server admin" checked={serverAdmin} onChange={(e) => setServerAdmin(e.currentTarget.checked)} />
          <Button mt={24} type="submit" loading={create.isPending}>Create user</Button>
        </Group>
      </form>
      {created.map((u) => (
        <Group key={u.id} gap="xs">
          <Text size="sm">Created {u.email}; add them to a project above.</Text>
          <Button size="compact-xs" variant="subtle" onClick={() => endSessions.mutate(u.id)}>End their sessions</Button>
        </Group>
      ))}
      <ProblemAlert error={create.error ?? endSessions.error} title={create.error ? "The user was not created" : undefined} />
    </Stack>
  );
}
