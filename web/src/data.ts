// Shared queries: the lists several pages use (filters, pickers, names).
import { useQuery } from "@tanstack/react-query";
import { get, qs } from "./api.js";
import type { Ca, Profile, Template } from "./types.js";

export const CA_PATH = "/api/v1/cert-manager/ca/internal";
export const CERTS_PATH = "/api/v1/cert-manager/certificates";
export const PROFILES_PATH = "/api/v1/cert-manager/certificate-profiles";
export const TEMPLATES_PATH = "/api/v1/cert-manager/certificate-templates";

export type ProfileWithMetrics = Profile & { metrics: { totalCertificates: number; activeCertificates: number; expiredCertificates: number; expiringCertificates: number; revokedCertificates: number } };

/** The project's CAs. */
export function useCas(projectId: string) {
  return useQuery({ queryKey: ["cas", projectId], queryFn: () => get<Ca[]>(CA_PATH + qs({ projectId })) });
}

/** The project's profiles (the first 100) with their certificate counts. */
export function useProfiles(projectId: string) {
  return useQuery({
    queryKey: ["profiles", projectId],
    queryFn: () => get<{ certificateProfiles: ProfileWithMetrics[]; totalCount: number }>(PROFILES_PATH + qs({ projectId, limit: 100 })),
  });
}

/** The project's templates (the first 100). */
export function useTemplates(projectId: string) {
  return useQuery({
    queryKey: ["templates", projectId],
    queryFn: () => get<{ certificateTemplates: Template[]; totalCount: number }>(TEMPLATES_PATH + qs({ projectId, limit: 100 })),
  });
}
