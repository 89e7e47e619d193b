/** Ready-made templates for common certificate kinds; every preset parses (presets.test.ts). */
import type { TemplateInput } from "./template.js";

/** The preset names. */
export type PresetName = "tls-server" | "tls-client" | "dual-purpose-server" | "code-signing" | "email-protection" | "device" | "user" | "intermediate-ca";

/** One preset: a display name, a description and the template. */
export interface TemplatePreset {
  name: string;
  description: string;
  template: TemplateInput;
}

const ANY = ["*"];
// CA/B BR §6.3.2: publicly-trusted TLS certificates issued after 2020-09-01 last at most 397 days; private CAs follow suit.
const TLS_MAX = "397d";

/** The built-in template presets. */
export const TEMPLATE_PRESETS: Readonly<Record<PresetName, TemplatePreset>> = {
  "tls-server": {
    name: "TLS server",
    description: "HTTPS and other TLS servers: DNS names and IP addresses, server_auth only, at most 397 days (CA/B BR §6.3.2).",
    template: {
      sans: [{ type: "dns_name", allowed: ANY }, { type: "ip_address", allowed: ANY }, { type: "email", allowed: [] }, { type: "uri", allowed: [] }],
      keyUsages: { allowed: ["digital_signature", "key_encipherment"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["server_auth"], required: ["server_auth"] },
      validity: { max: TLS_MAX },
      basicConstraints: { isCA: "denied" },
    },
  },
  "tls-client": {
    name: "TLS client",
    description: "Clients authenticating with mutual TLS: client_auth only, at most 397 days.",
    template: {
      keyUsages: { allowed: ["digital_signature", "key_agreement"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["client_auth"], required: ["client_auth"] },
      validity: { max: TLS_MAX },
      basicConstraints: { isCA: "denied" },
    },
  },
  "dual-purpose-server": {
    name: "Dual-purpose server",
    description: "Servers that are also TLS clients (service mesh, databases): server_auth and client_auth, DNS names and IPs, at most 397 days.",
    template: {
      sans: [{ type: "dns_name", allowed: ANY }, { type: "ip_address", allowed: ANY }, { type: "uri", allowed: ANY }, { type: "email", allowed: [] }],
      keyUsages: { allowed: ["digital_signature", "key_encipherment", "key_agreement"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["server_auth", "client_auth"], required: ["server_auth", "client_auth"] },
      validity: { max: TLS_MAX },
      basicConstraints: { isCA: "denied" },
    },
  },
  "code-signing": {
    name: "Code signing",
    description: "Signing software and scripts: a named organization, code_signing only, no SANs, at most 3 years.",
    template: {
      subject: [{ type: "common_name", required: ANY }, { type: "organization", required: ANY }],
      sans: [{ type: "dns_name", allowed: [] }, { type: "ip_address", allowed: [] }, { type: "email", allowed: [] }, { type: "uri", allowed: [] }],
      // CA/B Code Signing BR §7.1.2.3: digitalSignature is required; keyEncipherment and the like are not for signing keys.
      keyUsages: { allowed: ["digital_signature"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["code_signing"], required: ["code_signing"] },
      validity: { max: "1095d" },
      basicConstraints: { isCA: "denied" },
    },
  },
  "email-protection": {
    name: "Email protection (S/MIME)",
    description: "Signing and encrypting email: one or more email addresses, email_protection only, at most 825 days (CA/B S/MIME BR §6.3.2).",
    template: {
      sans: [{ type: "email", allowed: ANY, required: ANY }, { type: "dns_name", allowed: [] }, { type: "ip_address", allowed: [] }, { type: "uri", allowed: [] }],
      keyUsages: { allowed: ["digital_signature", "non_repudiation", "key_encipherment", "key_agreement"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["email_protection"], required: ["email_protection"] },
      validity: { max: "825d" },
      basicConstraints: { isCA: "denied" },
    },
  },
  device: {
    name: "Device",
    description: "IoT devices and machines identifying themselves to servers: client_auth, a device name or URI identity, at most 1 year.",
    template: {
      subject: [{ type: "common_name", required: ANY }],
      sans: [{ type: "dns_name", allowed: ANY }, { type: "uri", allowed: ANY }, { type: "ip_address", allowed: ANY }, { type: "email", allowed: [] }],
      keyUsages: { allowed: ["digital_signature", "key_encipherment", "key_agreement"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["client_auth"], required: ["client_auth"] },
      validity: { max: "365d" },
      basicConstraints: { isCA: "denied" },
    },
  },
  user: {
    name: "User",
    description: "People: client_auth and email_protection, a name and an email address, at most 1 year.",
    template: {
      subject: [{ type: "common_name", required: ANY }],
      sans: [{ type: "email", allowed: ANY }, { type: "dns_name", allowed: [] }, { type: "ip_address", allowed: [] }],
      keyUsages: { allowed: ["digital_signature", "non_repudiation", "key_encipherment", "key_agreement"], required: ["digital_signature"] },
      extendedKeyUsages: { allowed: ["client_auth", "email_protection"], required: ["client_auth"] },
      validity: { max: "365d" },
      basicConstraints: { isCA: "denied" },
    },
  },
  "intermediate-ca": {
    name: "Intermediate CA",
    description: "Subordinate CAs: CA certificates that sign certificates and CRLs, at most 5 years, path length 0 (they sign no further CAs).",
    template: {
      subject: [{ type: "common_name", required: ANY }],
      sans: [{ type: "dns_name", allowed: [] }, { type: "ip_address", allowed: [] }, { type: "email", allowed: [] }, { type: "uri", allowed: [] }],
      // RFC 5280 §4.2.1.3: a CA that signs certificates has keyCertSign; one that signs CRLs, cRLSign.
      keyUsages: { allowed: ["key_cert_sign", "crl_sign", "digital_signature"], required: ["key_cert_sign", "crl_sign"] },
      validity: { max: "1825d" },
      basicConstraints: { isCA: "required", maxPathLength: 0 },
    },
  },
};
