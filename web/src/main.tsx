import "@mantine/core/styles.css";
import "./app.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MantineProvider, createTheme } from "@mantine/core";
import { QueryCache, QueryClient, QueryClientProvider, MutationCache } from "@tanstack/react-query";
import { RouterProvider } from "react-router";
import { ApiError, setUnauthenticatedHandler } from "./api.js";
import { router } from "./routes.js";

/** Where the login page sends the user back to: the page they were on, this origin only. */
function returnPath() {
  const { pathname, search } = window.location;
  return pathname.startsWith("/login") ? "/" : pathname + search;
}

const retry = (count: number, e: unknown) => !(e instanceof ApiError && e.status >= 400 && e.status < 500) && count < 2;
const queryClient = new QueryClient({
  queryCache: new QueryCache(),
  mutationCache: new MutationCache(),
  defaultOptions: { queries: { retry, staleTime: 10_000, refetchOnWindowFocus: true } },
});

// A 401 anywhere means the session ended (expired, logged out elsewhere, revoked): forget
// every cached answer and go to the login page, which brings the user back here.
setUnauthenticatedHandler(() => {
  if (window.location.pathname.startsWith("/login")) return;
  queryClient.clear();
  void router.navigate(`/login?next=${encodeURIComponent(returnPath())}`, { replace: true });
});

// Shade 8 of blue: white text on it, and it as text on white, pass WCAG AA contrast (shade 6 does not).
// Every dialog's close button is named (axe: button-name).
const theme = createTheme({
  primaryColor: "blue",
  primaryShade: { light: 8, dark: 8 },
  defaultRadius: "sm",
  focusRing: "auto",
  components: { Modal: { defaultProps: { closeButtonProps: { "aria-label": "Close" } } } },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <MantineProvider theme={theme} defaultColorScheme="auto">
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
