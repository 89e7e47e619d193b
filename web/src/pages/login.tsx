import { useState, type FormEvent } from "react";
import { Button, Center, Paper, PasswordInput, Stack, TextInput, Title, Text } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";
import { api, SESSION_PATH } from "../api.js";
import { fieldError, ProblemAlert } from "../components.js";

/** Only a path on this origin may be the place to return to (no open redirect). */
function safeNext(next: string | null): string {
  return next && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/\\") ? next : "/";
}

/** Sign-in with email and password; the session becomes an HttpOnly cookie (never seen here). */
export function LoginPage() {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const qc = useQueryClient();
  const login = useMutation({
    mutationFn: () => api<{ expiresIn: number }>("POST", SESSION_PATH, { email, password }),
    onSuccess: () => {
      qc.clear();
      navigate(safeNext(params.get("next")), { replace: true });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    login.mutate();
  };
  return (
    <Center mih="100vh" p="md">
      <Paper withBorder shadow="sm" p="xl" w={380} maw="100%" component="main">
        <form onSubmit={submit} noValidate>
          <Stack>
            <Title order={1} size="h2">Sign in to Stamp</Title>
            {params.get("next") && <Text size="sm" c="dimmed">Your session ended. Sign in to go back to where you were.</Text>}
            <TextInput label="Email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.currentTarget.value)} error={fieldError(login.error, "email")} />
            <PasswordInput label="Password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.currentTarget.value)} error={fieldError(login.error, "password")} />
            <ProblemAlert error={login.error} title="Sign-in refused" />
            <Button type="submit" loading={login.isPending}>Sign in</Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
