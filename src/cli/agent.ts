import { randomInt } from "node:crypto";
import { createAgent, onceExitCode, type AgentDeps } from "../agent/agent.js";
import { ConfigError, loadAgentConfig, type AgentConfig } from "../agent/config.js";
import { runLoop } from "../agent/run.js";
import { flag, need, type Command } from "./command.js";
import { EXIT } from "./errors.js";

/** `stamp agent`: keeps certificates on this host issued and renewed (docs/agent.md). */
export const agentCommand: Command = {
  name: "agent",
  summary: "keep this host's certificates issued and renewed (run as a service)",
  help: `Usage: stamp agent --config agent.yaml [--once]

Reads the agent config (docs/agent.md, docs/agent.sample.yaml), then for every certificate:
issues it when its files are missing, unreadable, do not match the config or belong to a
revoked certificate; renews it inside its renewal window; writes the files atomically; runs
the hooks. Logs are JSON, one line per event, on stdout. SIGHUP reloads the config.

Options:
  --config FILE   the agent's YAML config (not the session file of other commands)
  --once          check once and exit: 0 all good, 1 a certificate failed, 2 bad config,
                  5 server unreachable

Examples:
  stamp agent --config /etc/stamp/agent.yaml --once
  stamp agent --config /etc/stamp/agent.yaml`,
  options: { once: { type: "boolean" } },
  async run(ctx, v) {
    const file = need(v, "config");
    // Only src/cli/main.ts reads process.env: what it passed in is what the agent sees.
    // Named variables (auth.clientSecretEnv) are looked up through the entry point.
    const known = { ...ctx.env } as Record<string, unknown>;
    const env = new Proxy({} as Record<string, string | undefined>, {
      get: (_t, k) => (typeof k !== "string" ? undefined : typeof known[k] === "string" ? (known[k] as string) : ctx.env.lookup?.(k)),
    });
    const load = () => loadAgentConfig(file, env);
    let config: AgentConfig;
    try {
      config = load();
    } catch (e) {
      if (e instanceof ConfigError) {
        ctx.err(`stamp agent: ${e.message}`);
        return EXIT.usage;
      }
      throw e;
    }
    const deps: AgentDeps = {
      log: (level, event, fields = {}) => ctx.out(JSON.stringify({ time: new Date().toISOString(), level, event, ...fields })),
      now: () => new Date(),
      random: () => randomInt(0, 2 ** 32) / 2 ** 32,
      hookEnv: { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" },
    };
    if (flag(v, "once")) {
      const r = await createAgent(config, deps).check({ respectBackoff: false });
      const code = onceExitCode(r);
      const cfg = r.outcomes.find((o) => o.configError)?.configError;
      if (cfg) ctx.err(`stamp agent: ${cfg.message}`);
      else if (code === 5) ctx.err(`stamp agent: cannot reach ${config.server}; the files on disk were left as they were`);
      else if (code === 1) ctx.err(`stamp agent: ${r.outcomes.filter((o) => o.outcome === "failed").map((o) => `${o.name}: ${o.error}`).join("; ")}`);
      return code;
    }
    let control: { reload(): void; stop(): void } | undefined;
    const onHup = () => control?.reload();
    const onStop = () => control?.stop();
    process.on("SIGHUP", onHup);
    process.on("SIGTERM", onStop);
    process.on("SIGINT", onStop);
    try {
      await runLoop(config, deps, load, (c) => (control = c));
    } finally {
      process.off("SIGHUP", onHup);
      process.off("SIGTERM", onStop);
      process.off("SIGINT", onStop);
    }
    return EXIT.ok;
  },
};
