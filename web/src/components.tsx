import type { ReactNode } from "react";
import { Alert, Badge, Center, Code, CopyButton, Button, Group, List, Loader, Paper, Stack, Text, Title } from "@mantine/core";
import { ApiError, type Violation } from "./api.js";

/** The violations of an error, when it is the server's problem document. */
export function violationsOf(error: unknown): Violation[] {
  return error instanceof ApiError ? (error.problem.violations ?? []) : [];
}

/**
 * The message to show beside the field named `names` (the server names fields as the request
 * does, e.g. `attributes.commonName`, `configuration.commonName`, or with a list index).
 */
export function fieldError(error: unknown, ...names: string[]): string | undefined {
  const hits = violationsOf(error).filter((v) => names.some((n) => v.field === n || v.field.startsWith(n + ".") || v.field.startsWith(n + "[") || v.field.endsWith("." + n)));
  return hits.length ? hits.map((v) => v.message).join(" ") : undefined;
}

/** The server's problem+json, with every violation (field, message, value given), as text. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const p = error instanceof ApiError ? error.problem : { status: 0, title: "Error", detail: String((error as Error)?.message ?? error) };
  return (
    <Alert color="red" title={title ?? p.title ?? "The request failed"} role="alert" data-testid="problem">
      <Stack gap={4}>
        <Text size="sm">{p.detail}</Text>
        {p.violations && p.violations.length > 0 && (
          <List size="sm" spacing={2} data-testid="violations">
            {p.violations.map((v, i) => (
              <List.Item key={i}>
                <Text span fw={600} size="sm">{v.field}</Text>: {v.message}
                {v.value !== undefined && v.value !== null && <Text span c="dimmed" size="sm"> (given: {typeof v.value === "string" ? v.value : JSON.stringify(v.value)})</Text>}
              </List.Item>
            ))}
          </List>
        )}
      </Stack>
    </Alert>
  );
}

/** A centred spinner while something loads. */
export function Loading({ label = "Loading" }: { label?: string }) {
  return (
    <Center h={160}>
      <Loader aria-label={label} />
    </Center>
  );
}

/** What to show when a list is empty: what it is and what to do next. */
export function Empty({ children, action }: { children: ReactNode; action?: ReactNode }) {
  return (
    <Paper withBorder p="lg">
      <Stack align="center" gap="sm">
        <Text c="dimmed" ta="center">{children}</Text>
        {action}
      </Stack>
    </Paper>
  );
}

/** A page heading with actions on the right. */
export function PageTitle({ children, actions }: { children: ReactNode; actions?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="wrap">
      <Title order={2}>{children}</Title>
      {actions && <Group gap="xs">{actions}</Group>}
    </Group>
  );
}

const STATUS_COLOR: Record<string, string> = { active: "green", expired: "gray", revoked: "red", renewed: "blue", disabled: "gray", "pending-certificate": "yellow" };
/** A status as a coloured badge. */
export function StatusBadge({ status }: { status: string }) {
  // The "dot" variant: the status in the body text colour (WCAG AA contrast in light and dark), the colour in the dot.
  return <Badge color={STATUS_COLOR[status] ?? "gray"} variant="dot">{status}</Badge>;
}

/** "in 12 days", "3 hours ago": the time from now to `iso`. */
export function timeLeft(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  const abs = Math.abs(ms);
  const [n, unit] = abs >= 86_400_000 * 2 ? [Math.floor(abs / 86_400_000), "days"] : abs >= 3_600_000 * 2 ? [Math.floor(abs / 3_600_000), "hours"] : [Math.max(1, Math.floor(abs / 60_000)), "minutes"];
  return ms >= 0 ? `in ${n} ${unit}` : `${n} ${unit} ago`;
}

/** A date and time in the reader's locale. */
export function when(iso: string | null | undefined): string {
  return iso ? new Date(iso).toLocaleString() : "—";
}

/** A PEM block, shown as text, with a copy button. */
export function Pem({ label, pem }: { label: string; pem: string }) {
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text fw={600} size="sm">{label}</Text>
        <CopyButton value={pem}>{({ copied, copy }) => <Button size="compact-xs" variant="subtle" onClick={copy}>{copied ? "Copied" : `Copy ${label.toLowerCase()}`}</Button>}</CopyButton>
      </Group>
      <Code block className="pem" aria-label={label}>{pem}</Code>
    </Stack>
  );
}

/** The page for a path the UI does not have. */
export function NotFound() {
  return <Text>There is no such page. Use the navigation to find what you are looking for.</Text>;
}

/** Label/value rows of a detail view; every value renders as text. */
export function Facts({ rows }: { rows: [string, ReactNode][] }) {
  return (
    <Stack gap={6}>
      {rows.map(([k, v]) => (
        <Group key={k} gap="md" wrap="nowrap" align="flex-start">
          <Text size="sm" c="dimmed" w={{ base: 110, sm: 170 }} style={{ flexShrink: 0 }}>{k}</Text>
          <Text size="sm" component="div" style={{ wordBreak: "break-word", minWidth: 0 }}>{v}</Text>
        </Group>
      ))}
    </Stack>
  );
}

