/** The agent's long-running loop: check, sleep until the next check, reload on SIGHUP, stop on SIGTERM/SIGINT. */
import { createAgent, type AgentDeps } from "./agent.js";
import { ConfigError, type AgentConfig } from "./config.js";

/** Controls the loop from outside (signal handlers). */
export interface LoopControl {
  /** Re-reads the config and checks at once. */
  reload(): void;
  /** Ends the loop after the current check. */
  stop(): void;
}

/** Runs until stopped; `loadConfig` is called again on reload (an invalid config is logged and the old one kept). */
export async function runLoop(config: AgentConfig, deps: AgentDeps, loadConfig: () => AgentConfig, onControl: (c: LoopControl) => void): Promise<void> {
  const agent = createAgent(config, deps);
  let stopped = false;
  let wake: (() => void) | null = null;
  let reloadPending = false;
  onControl({
    reload() {
      reloadPending = true;
      wake?.();
    },
    stop() {
      stopped = true;
      wake?.();
    },
  });
  deps.log("info", "started", { config: config.configFile, certificates: config.certificates.map((c) => c.name), intervalMs: config.intervalMs });
  while (!stopped) {
    if (reloadPending) {
      reloadPending = false;
      try {
        agent.reconfigure(loadConfig());
        deps.log("info", "reloaded", { config: agent.config.configFile, certificates: agent.config.certificates.map((c) => c.name) });
      } catch (e) {
        deps.log("error", "reload_failed", { error: e instanceof ConfigError ? e.message : String(e), keeping: "the previous config" });
      }
    }
    let next: Date;
    try {
      next = (await agent.check({ respectBackoff: true })).nextCheck;
    } catch (e) {
      deps.log("error", "check_failed", { error: (e as Error).message });
      next = new Date(deps.now().getTime() + 30_000);
    }
    if (stopped) break;
    if (reloadPending) continue;
    // Sleep until the earliest next check, at least 1 s, at most the interval.
    const ms = Math.min(Math.max(next.getTime() - deps.now().getTime(), 1_000), agent.config.intervalMs);
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
    wake = null;
  }
  deps.log("info", "stopped", {});
}
