import type { Store } from "../../store/store.js";
import type { Runtime } from "../context.js";
import type { AlertSecretPort, AlertSender } from "./ports.js";

/** What the alert use cases need; compose.ts builds it. */
export interface AlertDeps {
  store: Store;
  rt: Runtime;
  sender: AlertSender;
  secrets: AlertSecretPort;
  /** Base URL of this server: the CloudEvents `source` is `<publicUrl>/projects/<id>`. */
  publicUrl: string;
  /** Told when deliveries were queued (compose.ts pokes the delivery job). */
  onQueued?: () => void;
  /** Where failures of background alert work are reported. */
  log?: (msg: string, err?: unknown) => void;
}

/** The additional authenticated data a rule's sealed webhook secret is bound to. */
export const secretAad = (ruleId: string) => `alert-rule:${ruleId}`;
