import { AppShell, Burger, Group, NavLink, Select, Text, Button, Loader, Center, Title } from "@mantine/core";
import { useDisclosure } from "@mantine/hooks";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { Link, Navigate, Outlet, useLocation, useNavigate, useParams } from "react-router";
import { api, get, SESSION_PATH } from "./api.js";
import type { Me, Project } from "./types.js";
import { PageTitle, ProblemAlert } from "./components.js";

/** The signed-in caller (GET /auth/me); a 401 sends the app to the login page (main.tsx). */
export function useMe() {
  return useQuery({ queryKey: ["me"], queryFn: () => get<Me>("/api/v1/auth/me"), staleTime: 60_000 });
}

/** The caller's projects with their role in each. */
export function useProjects() {
  return useQuery({ queryKey: ["projects"], queryFn: () => get<{ projects: Project[] }>("/api/v1/projects").then((r) => r.projects), staleTime: 60_000 });
}

/** The caller's role in the current project. */
export function useRole(projectId: string): string | undefined {
  return useProjects().data?.find((p) => p.id === projectId)?.role;
}

/**
 * A page only project admins can use (the API refuses everyone else): a spinner while the role
 * loads, a plain sentence for other roles, else the page.
 */
export function AdminGate({ projectId, what, children }: { projectId: string; what: string; children: React.ReactNode }) {
  const role = useRole(projectId);
  if (!role) return <Center h={160}><Loader aria-label="Loading" /></Center>;
  if (role !== "admin") return <><PageTitle>{what}</PageTitle><Text>Only the project's admins see and change this page; ask one of them if you need a change.</Text></>;
  return children;
}

/** True when the caller may change things in the project (not a viewer). */
export function useCanWrite(projectId: string): boolean {
  const role = useRole(projectId);
  return role !== undefined && role !== "viewer";
}

const NAV = [
  { to: "", label: "Dashboard" },
  { to: "/certificates", label: "Certificates" },
  { to: "/certificates/issue", label: "Issue a certificate" },
  { to: "/cas", label: "Certificate authorities" },
  { to: "/templates", label: "Templates" },
  { to: "/profiles", label: "Profiles" },
  { to: "/audit", label: "Audit log" },
  { to: "/access", label: "Access" },
  { to: "/alerts", label: "Alerts" },
  { to: "/account", label: "Account" },
];

/** Sends `/` to the first project's dashboard. */
export function FirstProject() {
  const projects = useProjects();
  if (projects.isPending) return <Center h={200}><Loader aria-label="Loading" /></Center>;
  if (projects.error) return <ProblemAlert error={projects.error} />;
  const first = projects.data[0];
  if (!first) return <Text>You belong to no project yet. Ask a project admin to add you, or create one with the API (POST /api/v1/projects).</Text>;
  return <Navigate to={`/p/${first.id}`} replace />;
}

/** The frame of every signed-in page: header with project switcher and logout, navigation, content. */
export function Layout() {
  const [opened, { toggle, close }] = useDisclosure();
  const me = useMe();
  const projects = useProjects();
  const { projectId } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const qc = useQueryClient();
  if (me.isPending) return <Center h="100vh"><Loader aria-label="Loading" /></Center>;
  if (me.error) return <Center h="100vh"><ProblemAlert error={me.error} /></Center>;

  const logout = async () => {
    try {
      await api("DELETE", SESSION_PATH);
    } finally {
      qc.clear();
      navigate("/login", { replace: true });
    }
  };
  const base = projectId ? `/p/${projectId}` : "";
  const switchProject = (id: string | null) => {
    if (!id) return;
    // Stay on the same kind of page in the other project (a detail page's object is not there).
    const section = location.pathname.split("/")[3];
    navigate(`/p/${id}${section && !location.pathname.split("/")[4] ? `/${section}` : ""}`);
  };
  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 240, breakpoint: "sm", collapsed: { mobile: !opened } }} padding="md" transitionDuration={0}>
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group wrap="nowrap" gap="sm">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Toggle navigation" />
            <Title order={1} size="h3">Stamp</Title>
          </Group>
          <Group wrap="nowrap" gap="sm">
            {projects.data && projectId && (
              <Select
                aria-label="Project"
                size="xs"
                w={{ base: 120, sm: 200 }}
                data={projects.data.map((p) => ({ value: p.id, label: p.name }))}
                value={projectId}
                onChange={switchProject}
                allowDeselect={false}
              />
            )}
            <Text size="sm" visibleFrom="sm" c="dimmed">{me.data.label}</Text>
            <Button size="xs" variant="default" onClick={logout}>Log out</Button>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" component="nav" aria-label="Main">
        {projectId &&
          NAV.map((n) => {
            const to = base + n.to;
            const active = n.to === "" ? location.pathname === base : location.pathname === to || (n.to !== "/certificates" && location.pathname.startsWith(to + "/")) || (n.to === "/certificates" && location.pathname.startsWith(to + "/") && !location.pathname.endsWith("/issue"));
            return <NavLink key={n.label} component={Link} to={to} label={n.label} active={active} onClick={close} />;
          })}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
    </AppShell>
  );
}
