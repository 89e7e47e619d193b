import { useState, type FormEvent } from "react";
import { Alert, Button, Group, PasswordInput, Stack, Text } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { api, SESSION_PATH } from "../api.js";
import { fieldError, PageTitle, ProblemAlert } from "../components.js";
import { useMe } from "../layout.js";

/** The signed-in user's account: change the password (every other session ends; this one continues with a fresh cookie). */
export function AccountPage() {
  const me = useMe();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [again, setAgain] = useState("");
  const change = useMutation({
    mutationFn: () => api("POST", `${SESSION_PATH}/password`, { currentPassword: current, newPassword: next }),
    onSuccess: () => (setCurrent(""), setNext(""), setAgain("")),
  });
  const mismatch = again !== "" && again !== next;
  return (
    <Stack maw={520}>
      <PageTitle>Account</PageTitle>
      <Text size="sm">Signed in as {me.data?.label}{me.data?.isServerAdmin ? " (server admin)" : ""}.</Text>
      {me.data?.type === "identity" ? (
        <Text size="sm">Machine identities have client secrets, not passwords.</Text>
      ) : (
        <form onSubmit={(e: FormEvent) => (e.preventDefault(), !mismatch && change.mutate())} noValidate>
          <Stack>
            <PasswordInput label="Current password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.currentTarget.value)} error={fieldError(change.error, "currentPassword")} />
            <PasswordInput label="New password" description="at least 12 characters, not your email" autoComplete="new-password" value={next} onChange={(e) => setNext(e.currentTarget.value)} error={fieldError(change.error, "newPassword")} />
            <PasswordInput label="New password again" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.currentTarget.value)} error={mismatch ? "The two new passwords differ." : undefined} />
            <ProblemAlert error={change.error} title="The password was not changed" />
            {change.isSuccess && <Alert color="green" title="Password changed" role="status">Every other session of yours has ended; this one continues.</Alert>}
            <Group><Button type="submit" loading={change.isPending} disabled={mismatch}>Change password</Button></Group>
          </Stack>
        </form>
      )}
    </Stack>
  );
}
