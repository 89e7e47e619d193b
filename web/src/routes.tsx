import { createBrowserRouter, Navigate, useParams } from "react-router";
import { Layout, FirstProject } from "./layout.js";
import { LoginPage } from "./pages/login.js";
import { DashboardPage } from "./pages/dashboard.js";
import { CertificatesPage } from "./pages/certificates.js";
import { CertificatePage } from "./pages/certificate.js";
import { IssuePage } from "./pages/issue.js";
import { CasPage } from "./pages/cas.js";
import { CaPage } from "./pages/ca.js";
import { CreateCaPage } from "./pages/ca-create.js";
import { TemplatesPage } from "./pages/templates.js";
import { ProfilesPage } from "./pages/profiles.js";
import { AuditPage } from "./pages/audit.js";
import { NotFound } from "./components.js";

/** The project the page belongs to (every page but login lives under /p/:projectId). */
export function useProjectId(): string {
  return useParams().projectId!;
}

function LegacyRedirect() {
  return <Navigate to="/" replace />;
}

/** Every page of the UI; the project is part of the path, so links and the return after login keep it. */
export const router = createBrowserRouter([
  { path: "/login", element: <LoginPage /> },
  {
    element: <Layout />,
    children: [
      { path: "/", element: <FirstProject /> },
      { path: "/p/:projectId", element: <DashboardPage /> },
      { path: "/p/:projectId/certificates", element: <CertificatesPage /> },
      { path: "/p/:projectId/certificates/issue", element: <IssuePage /> },
      { path: "/p/:projectId/certificates/:id", element: <CertificatePage /> },
      { path: "/p/:projectId/cas", element: <CasPage /> },
      { path: "/p/:projectId/cas/new", element: <CreateCaPage /> },
      { path: "/p/:projectId/cas/:id", element: <CaPage /> },
      { path: "/p/:projectId/templates", element: <TemplatesPage /> },
      { path: "/p/:projectId/profiles", element: <ProfilesPage /> },
      { path: "/p/:projectId/audit", element: <AuditPage /> },
      { path: "/index.html", element: <LegacyRedirect /> },
      { path: "*", element: <NotFound /> },
    ],
  },
]);
