import { z } from "zod";
import { SAN_TYPES } from "../policy/san-syntax.js";

/**
 * SAN type spellings besides Stamp's (Infisical's): `DNS`, `IP`, `URI`, `EMAIL` as its docs samples
 * write them, and the legacy `dns`, `ip`, `url`. Each is parsed into the one internal name; answers carry that name.
 */
export const SAN_TYPE_ALIASES = { DNS: "dns_name", dns: "dns_name", ip: "ip_address", IP: "ip_address", url: "uri", URI: "uri", EMAIL: "email" } as const;

/** A SAN type as a request may write it: Stamp's name or an alias, read as Stamp's name. */
export const sanTypeInput = z
  .enum([...SAN_TYPES, ...(Object.keys(SAN_TYPE_ALIASES) as (keyof typeof SAN_TYPE_ALIASES)[])])
  .transform((t): (typeof SAN_TYPES)[number] => (t in SAN_TYPE_ALIASES ? SAN_TYPE_ALIASES[t as keyof typeof SAN_TYPE_ALIASES] : (t as (typeof SAN_TYPES)[number])))
  .describe(`one of ${SAN_TYPES.join(", ")}; also accepted: ${Object.keys(SAN_TYPE_ALIASES).join(", ")}`);
