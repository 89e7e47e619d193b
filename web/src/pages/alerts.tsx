import { useState, type FormEvent } from "react";
import { Alert, Badge, Button, Card, Code, Group, Modal, MultiSelect, SegmentedControl, Stack, Switch, Table, TagsInput, Text, TextInput } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, get } from "../api.js";
import { useCas, useProfiles } from "../data.js";
import { Empty, fieldError, Loading, PageTitle, ProblemAlert, when } from "../components.js";
import { useProjectId } from "../routes.js";
import { AdminGate } from "../layout.js";
import { ALERT_EVENT_LABELS, options, type AlertDelivery, type AlertEvent, type AlertRule, type CreateAlertRuleBody } from "../types.js";

const DELIVERY_COLOR: Record<AlertDelivery["status"], string> = { pending: "yellow", delivered: "green", failed: "red" };

/** Alerts: rules (webhook or email) with their filters; create, change, enable or disable, delete, test send, and each rule's delivery log. */
export function AlertsPage() {
  const projectId = useProjectId();
  return <AdminGate projectId={projectId} what="Alerts"><AlertsAdmin projectId={projectId} /></AdminGate>;
}

function AlertsAdmin({ projectId }: { projectId: string }) {
  const isAdmin = true;
  const base = `/api/v1/projects/${projectId}/alert-rules`;
  const rules = useQuery({ queryKey: ["alert-rules", projectId], queryFn: () => get<{ alertRules: AlertRule[] }>(base).then((r) => r.alertRules) });
  const [editing, setEditing] = useState<AlertRule | "new" | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  return (
    <Stack>
      <PageTitle actions={isAdmin && <Button onClick={() => setEditing("new")}>Create an alert rule</Button>}>Alerts</PageTitle>
      <ProblemAlert error={rules.error} />
      {secret && (
        <Alert color="orange" title="Copy the webhook signing secret now: it is shown once" withCloseButton onClose={() => setSecret(null)} closeButtonLabel="Dismiss" data-testid="webhook-secret">
          <Code style={{ overflowWrap: "anywhere" }}>{secret}</Code>
          <Text size="xs" mt={4}>Check each delivery's signature with it (docs/alerts.md).</Text>
        </Alert>
      )}
      {rules.isPending ? (
        <Loading label="Loading alert rules" />
      ) : rules.data?.length ? (
        rules.data.map((r) => <RuleCard key={r.id} rule={r} base={base} projectId={projectId} isAdmin={isAdmin} onEdit={() => setEditing(r)} />)
      ) : (
        <Empty action={isAdmin && <Button onClick={() => setEditing("new")}>Create an alert rule</Button>}>No alert rule. A rule sends a webhook or an email when certificates are about to expire, are issued, renewed or revoked, or a renewal or CRL build fails.</Empty>
      )}
      <Modal opened={editing !== null} onClose={() => setEditing(null)} title={editing === "new" ? "Create an alert rule" : "Change the alert rule"} size="lg">
        {editing !== null && <RuleForm base={base} projectId={projectId} rule={editing === "new" ? undefined : editing} onDone={(s) => (setEditing(null), s && setSecret(s))} />}
      </Modal>
    </Stack>
  );
}

function RuleCard({ rule, base, projectId, isAdmin, onEdit }: { rule: AlertRule; base: string; projectId: string; isAdmin: boolean; onEdit: () => void }) {
  const [logOpen, log] = useDisclosure(false);
  const qc = useQueryClient();
  const refresh = () => (void qc.invalidateQueries({ queryKey: ["alert-rules", projectId] }), void qc.invalidateQueries({ queryKey: ["deliveries", rule.id] }));
  const toggle = useMutation({ mutationFn: () => api("PATCH", `${base}/${rule.id}`, { enabled: !rule.enabled }), onSuccess: refresh });
  const remove = useMutation({ mutationFn: () => api("DELETE", `${base}/${rule.id}`), onSuccess: refresh });
  const test = useMutation({ mutationFn: () => api<{ delivery: AlertDelivery }>("POST", `${base}/${rule.id}/test`).then((r) => r.delivery), onSuccess: () => (log.open(), refresh()) });
  return (
    <Card withBorder>
      <Group justify="space-between" wrap="wrap">
        <div>
          <Text fw={700}>{rule.name}</Text>
          <Text size="sm" c="dimmed">{rule.channel === "webhook" ? `webhook to ${rule.webhookUrl}` : `email to ${rule.emailTo?.join(", ")}`}</Text>
        </div>
        <Badge variant="dot" color={rule.enabled ? "green" : "gray"}>{rule.enabled ? "enabled" : "disabled"}</Badge>
      </Group>
      <Text size="sm" mt="xs">
        On {rule.events.map((e) => ALERT_EVENT_LABELS[e].toLowerCase()).join(", ")}
        {rule.events.includes("expiration") ? ` (${rule.expirationDays.join(", ")} days before expiry)` : ""}
        {rule.filters.profileIds.length ? ` · ${rule.filters.profileIds.length} profile(s)` : ""}
        {rule.filters.caIds.length ? ` · ${rule.filters.caIds.length} CA(s)` : ""}
        {rule.filters.namePattern ? ` · names matching ${rule.filters.namePattern}` : ""}
      </Text>
      {test.data && <Text size="sm" mt="xs" data-testid="test-result">Test send: {test.data.status}{test.data.lastError ? ` (${test.data.lastError})` : ""}</Text>}
      <Group gap="xs" mt="sm">
        <Button size="xs" variant="default" onClick={log.toggle}>{logOpen ? "Hide delivery log" : "Delivery log"}</Button>
        {isAdmin && (
          <>
            <Button size="xs" variant="default" onClick={() => test.mutate()} loading={test.isPending}>Send a test</Button>
            <Button size="xs" variant="default" onClick={onEdit} aria-label={`Change ${rule.name}`}>Change</Button>
            <Button size="xs" variant="default" onClick={() => toggle.mutate()} loading={toggle.isPending}>{rule.enabled ? "Disable" : "Enable"}</Button>
            <Button size="xs" variant="subtle" color="red" onClick={() => remove.mutate()} aria-label={`Delete ${rule.name}`}>Delete</Button>
          </>
        )}
      </Group>
      <ProblemAlert error={toggle.error ?? remove.error ?? test.error} />
      {logOpen && <Deliveries base={base} rule={rule} />}
    </Card>
  );
}

/** The rule's delivery log, newest first, filterable by status. */
function Deliveries({ base, rule }: { base: string; rule: AlertRule }) {
  const [status, setStatus] = useState("all");
  const list = useQuery({ queryKey: ["deliveries", rule.id, status], queryFn: () => get<{ deliveries: AlertDelivery[] }>(`${base}/${rule.id}/deliveries?limit=50${status === "all" ? "" : `&status=${status}`}`).then((r) => r.deliveries) });
  return (
    <Stack gap="xs" mt="sm">
      <SegmentedControl size="xs" aria-label="Delivery status" value={status} onChange={setStatus} data={["all", "pending", "delivered", "failed"]} />
      {list.isPending ? (
        <Loading label="Loading deliveries" />
      ) : list.data?.length ? (
        <Table aria-label={`Deliveries of ${rule.name}`}>
          <Table.Thead><Table.Tr><Table.Th>When</Table.Th><Table.Th>Event</Table.Th><Table.Th>Status</Table.Th><Table.Th>Attempts</Table.Th><Table.Th>Answer or error</Table.Th></Table.Tr></Table.Thead>
          <Table.Tbody>
            {list.data.map((d) => (
              <Table.Tr key={d.id}>
                <Table.Td><Text size="xs">{when(d.createdAt)}</Text></Table.Td>
                <Table.Td><Text size="xs">{d.eventType}</Text></Table.Td>
                <Table.Td><Badge size="sm" variant="dot" color={DELIVERY_COLOR[d.status]}>{d.status}</Badge></Table.Td>
                <Table.Td><Text size="xs">{d.attempts}{d.nextAttemptAt && d.status === "pending" ? `, next ${when(d.nextAttemptAt)}` : ""}</Text></Table.Td>
                <Table.Td><Text size="xs" style={{ overflowWrap: "anywhere" }}>{d.responseStatus ? `HTTP ${d.responseStatus}` : ""}{d.lastError ? ` ${d.lastError}` : ""}</Text></Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : (
        <Text size="sm" c="dimmed">No delivery{status === "all" ? "" : ` with status ${status}`} yet. "Send a test" makes one now.</Text>
      )}
      <ProblemAlert error={list.error} />
    </Stack>
  );
}

/** Create a rule (webhook or email) or change one (its channel stays). */
function RuleForm({ base, projectId, rule, onDone }: { base: string; projectId: string; rule?: AlertRule; onDone: (webhookSecret?: string) => void }) {
  const profiles = useProfiles(projectId);
  const cas = useCas(projectId);
  const [name, setName] = useState(rule?.name ?? "");
  const [events, setEvents] = useState<string[]>(rule?.events ?? ["expiration"]);
  const [days, setDays] = useState<string[]>((rule?.expirationDays ?? [30, 7]).map(String));
  const [channel, setChannel] = useState<"webhook" | "email">(rule?.channel ?? "webhook");
  const [webhookUrl, setWebhookUrl] = useState(rule?.webhookUrl ?? "");
  const [emailTo, setEmailTo] = useState<string[]>(rule?.emailTo ?? []);
  const [profileIds, setProfileIds] = useState<string[]>(rule?.filters.profileIds ?? []);
  const [caIds, setCaIds] = useState<string[]>(rule?.filters.caIds ?? []);
  const [namePattern, setNamePattern] = useState(rule?.filters.namePattern ?? "");
  const [enabled, setEnabled] = useState(rule?.enabled ?? true);
  const qc = useQueryClient();
  const save = useMutation({
    mutationFn: async () => {
      const common = {
        name: name.trim(),
        events: events as AlertEvent[],
        ...(events.includes("expiration") ? { expirationDays: days.map(Number) } : {}),
        filters: { profileIds, caIds, namePattern: namePattern.trim() || null },
        ...(channel === "webhook" ? { webhookUrl: webhookUrl.trim() } : { emailTo }),
        enabled,
      };
      if (rule) return void (await api("PATCH", `${base}/${rule.id}`, common));
      const r = await api<{ webhookSecret?: string }>("POST", base, { ...common, channel } as CreateAlertRuleBody);
      return r.webhookSecret;
    },
    onSuccess: (s) => (void qc.invalidateQueries({ queryKey: ["alert-rules", projectId] }), onDone(s ?? undefined)),
  });
  const err = save.error;
  return (
    <form onSubmit={(e: FormEvent) => (e.preventDefault(), save.mutate())} noValidate>
      <Stack>
        <TextInput label="Name" value={name} onChange={(e) => setName(e.currentTarget.value)} error={fieldError(err, "name")} data-autofocus />
        <MultiSelect label="Events" data={options(ALERT_EVENT_LABELS)} value={events} onChange={setEvents} error={fieldError(err, "events")} />
        {events.includes("expiration") && <TagsInput label="Days before expiry" description="press Enter after each, e.g. 30 and 7" value={days} onChange={setDays} error={fieldError(err, "expirationDays")} />}
        {!rule && <SegmentedControl aria-label="Channel" value={channel} onChange={(v) => setChannel(v as typeof channel)} data={[{ value: "webhook", label: "Webhook" }, { value: "email", label: "Email" }]} />}
        {channel === "webhook" ? (
          <TextInput label="Webhook URL" description="http(s); where it may point is the server's egress policy" value={webhookUrl} onChange={(e) => setWebhookUrl(e.currentTarget.value)} error={fieldError(err, "webhookUrl")} />
        ) : (
          <TagsInput label="Email to" description="press Enter after each address" value={emailTo} onChange={setEmailTo} error={fieldError(err, "emailTo")} />
        )}
        <MultiSelect label="Only certificates of these profiles" description="none: any" data={profiles.data?.certificateProfiles.map((p) => ({ value: p.id, label: p.slug })) ?? []} value={profileIds} onChange={setProfileIds} error={fieldError(err, "filters.profileIds")} />
        <MultiSelect label="Only certificates of these CAs" description="none: any" data={cas.data?.map((c) => ({ value: c.id, label: c.name })) ?? []} value={caIds} onChange={setCaIds} error={fieldError(err, "filters.caIds")} />
        <TextInput label="Only names matching" description="a glob over the CN and every SAN, e.g. *.example.com" value={namePattern} onChange={(e) => setNamePattern(e.currentTarget.value)} error={fieldError(err, "filters.namePattern")} />
        <Switch label="Enabled" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} />
        <ProblemAlert error={err} title="The rule was not saved" />
        <Group><Button type="submit" loading={save.isPending}>{rule ? "Save rule" : "Create rule"}</Button></Group>
      </Stack>
    </form>
  );
}
