import type { AlertDeps } from "./deps.js";
import { createAlertDelivery } from "./delivery.js";
import { createAlertEvents } from "./events.js";
import { createAlertRules } from "./rules.js";

/** Alerts: rules (the API), certificate events and expiry scans (queueing), and delivery (the job). */
export function createAlerts(deps: AlertDeps) {
  const delivery = createAlertDelivery(deps);
  const events = createAlertEvents(deps);
  return { rules: createAlertRules({ ...deps, delivery }), onEvent: events.onEvent, onCrlFailed: events.onCrlFailed, scanExpiring: events.scanExpiring, deliverDue: delivery.deliverDue };
}
