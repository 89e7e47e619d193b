import { createBrowserRouter, useParams } from "react-router";
import { Layout, FirstProject } from "./layout.js";
import { LoginPage } from "./pages/login.js";
import { NotFound } from "./components.js";

/** The project the page belongs to (every page but login lives under /p/:projectId). */
export function useProjectId(): string {
  return useParams().projectId!;
}

/** A page loaded on first visit (its own chunk: the first page stays small). */
const page = <K extends string>(load: () => Promise<Record<K, React.ComponentType>>, name: K) => async () => ({ Component: (await load())[name] });

/** Every page of the UI; the project is part of the path, so links and the return after login keep it. */
export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  {
    element: <Layout />,
    children: [
      { path: "/", element: <FirstProject /> },
      { path: "/p/:projectId", lazy: page(() => import("./pages/dashboard.js"), "DashboardPage") },
      { path: "/p/:projectId/certificates", lazy: page(() => import("./pages/certificates.js"), "CertificatesPage") },
      { path: "/p/:projectId/certificates/issue", lazy: page(() => import("./pages/issue.js"), "IssuePage") },
      { path: "/p/:projectId/certificates/:id", lazy: page(() => import("./pages/certificate.js"), "CertificatePage") },
      { path: "/p/:projectId/cas", lazy: page(() => import("./pages/cas.js"), "CasPage") },
      { path: "/p/:projectId/cas/new", lazy: page(() => import("./pages/ca-create.js"), "CreateCaPage") },
      { path: "/p/:projectId/cas/:id", lazy: page(() => import("./pages/ca.js"), "CaPage") },
      { path: "/p/:projectId/templates", lazy: page(() => import("./pages/templates.js"), "TemplatesPage") },
      { path: "/p/:projectId/profiles", lazy: page(() => import("./pages/profiles.js"), "ProfilesPage") },
      { path: "/p/:projectId/audit", lazy: page(() => import("./pages/audit.js"), "AuditPage") },
      { path: "/p/:projectId/access", lazy: page(() => import("./pages/access.js"), "AccessPage") },
      { path: "/p/:projectId/alerts", lazy: page(() => import("./pages/alerts.js"), "AlertsPage") },
      { path: "/p/:projectId/account", lazy: page(() => import("./pages/account.js"), "AccountPage") },
      { path: "*", element: <NotFound /> },
    ],
  },
]);
