/** The lines an operator reads first: one per deployment, and what the worker will serve. */
import type { Logger } from "pino";

import type { Config } from "./config.js";
import type { PhaseReport } from "./phase.js";
import type { PrefectApi } from "./prefect-api.js";
import { redactUrl } from "./redact.js";
import type { DeploymentResult } from "./registration.js";
import type { WorkPoolResult } from "./work-pool.js";
import type { WorkspaceResult } from "./workspace.js";

export interface StartupTimings {
  started: number;
  phases: Partial<Record<"configuration" | "credentials" | "workspace" | "api" | "workPool" |
    "registration", number>>;
}

/** The configuration in effect, secrets left out: the first line of every start. */
export function reportConfiguration(config: Config, durationMs: number | undefined,
  log: Logger): void {
  const repo = config.repository;
  log.info({ phase: "configuration", outcome: "valid", durationMs,
    apiUrl: redactUrl(config.apiUrl), repository: repo?.url ?? null,
    checkoutDir: repo?.checkoutDir, branch: repo ? repo.branch ?? "(remote default)" : undefined,
    credentials: repo?.password ? "set" : "none", workPool: config.workPool,
    manifests: config.manifests, registrationStrict: config.registrationStrict,
    home: config.home, workerArgs: config.workerArgs }, repo
    ? `configuration valid: workspace ${repo.url} → ${repo.checkoutDir}`
    : "configuration valid: no GITEA_REPO_URL, so no workspace sync and no registration");
  if (config.unknownGiteaVariables.length > 0) {
    log.warn({ phase: "configuration", unknown: config.unknownGiteaVariables },
      `ignoring unknown ${config.unknownGiteaVariables.join(", ")}: the entrypoint reads ` +
      "GITEA_REPO_URL, GITEA_USERNAME and GITEA_PASSWORD (an access token goes into " +
      "GITEA_PASSWORD)");
  }
}

/** Logs one line per deployment and returns the registration phase's own outcome. */
export function reportRegistration(results: DeploymentResult[], log: Logger): PhaseReport {
  for (const r of results) {
    const fields = { phase: "registration", manifest: r.manifest, deployment: r.deployment,
      outcome: r.outcome, deploymentId: r.id, reason: r.reason, durationMs: r.durationMs };
    if (r.outcome === "failed") {
      log.warn(fields, `deployment ${r.deployment} (${r.manifest}): failed: ${r.reason}`);
    } else {
      log.info(fields, `deployment ${r.deployment} (${r.manifest}): ${r.outcome} (id ${r.id})`);
    }
  }
  const count = (outcome: DeploymentResult["outcome"]) =>
    results.filter((r) => r.outcome === outcome).length;
  const counts = { registered: count("registered"), updated: count("updated"),
    failed: count("failed") };
  const message = `${plural(results.length, "deployment")}: ${counts.registered} registered, ` +
    `${counts.updated} updated, ${counts.failed} failed`;
  if (counts.failed === 0) return { outcome: "ok", message, fields: counts };
  const outcome = counts.failed === results.length ? "failed" : "partial";
  return { outcome, message, level: "warn", fields: counts };
}

export interface ServingReport {
  api: PrefectApi;
  pool: WorkPoolResult;
  workspace?: WorkspaceResult;
  results: DeploymentResult[];
  timings: StartupTimings;
  log: Logger;
}

/** The one line that says what the worker is about to serve, and how long startup took. */
export async function reportServing(report: ServingReport): Promise<void> {
  const { pool, workspace, timings } = report;
  const inPool = await deploymentsInPool(report.api, pool.name).catch(() => {
    const names = report.results.filter((r) => r.outcome !== "failed").map((r) => r.deployment);
    return { names, total: names.length };
  });
  const deployments = inPool.names;
  const more = inPool.total > deployments.length
    ? `, … and ${inPool.total - deployments.length} more` : "";
  const failed = report.results.filter((r) => r.outcome === "failed").map((r) => r.deployment);
  const commit = workspace?.commit?.slice(0, 12);
  const source = workspace === undefined ? "no workspace configured"
    : `workspace ${workspace.outcome}${commit ? ` at ${commit}` : ""}` +
      `${workspace.branch ? ` (${workspace.branch})` : ""}`;
  const startupMs = Date.now() - timings.started;
  report.log.info({ phase: "worker", pool: pool.name, type: pool.type, deployments,
    deploymentCount: inPool.total,
    failedDeployments: failed, commit: workspace?.commit, branch: workspace?.branch,
    workspace: workspace?.outcome ?? "none", startupMs, phaseDurationsMs: timings.phases },
  `serving work pool ${pool.name} (${pool.type}) with ${plural(inPool.total, "deployment")}` +
    `${deployments.length ? ` [${deployments.join(", ")}${more}]` : ""}; ${source}` +
    `${failed.length ? `; ${failed.length} failed to register [${failed.join(", ")}]` : ""}; ` +
    `started in ${(startupMs / 1000).toFixed(1)} s`);
}

/** How many deployment names the serving line lists before it only counts the rest. */
const listedDeployments = 50;

/** Every deployment the server assigns to the pool, including ones registered elsewhere. */
async function deploymentsInPool(api: PrefectApi, pool: string):
  Promise<{ names: string[]; total: number }> {
  const [answer, total] = await Promise.all([
    api.request<{ name: string }[]>("POST", "/deployments/filter",
      { body: { work_pools: { name: { any_: [pool] } }, limit: listedDeployments } }),
    api.request<number>("POST", "/deployments/count",
      { body: { work_pools: { name: { any_: [pool] } } } }),
  ]);
  return { names: answer.body.map((d) => d.name).sort(), total: total.body };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
