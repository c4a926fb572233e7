/**
 * The registration phase: every deployment of every manifest registered with its own
 * `prefect deploy` call, so a broken flow file fails only its own deployment. Whether a call
 * created or updated the deployment is read from the API before and after, not from Prefect's
 * output (which says "created" in both cases).
 */
import type { Logger } from "pino";

import { runChild } from "./children.js";
import { failureReason } from "./deploy-output.js";
import { EntrypointError, ExitStatus } from "./errors.js";
import {
  fillPlaceholders, readManifest, type Manifest, type ManifestDeployment,
} from "./manifest.js";
import type { PrefectApi } from "./prefect-api.js";
import { redactText } from "./redact.js";

/** How much of a failed `prefect deploy`'s output is logged: enough for a Python traceback. */
const outputLinesOnFailure = 40;

export interface RegistrationOptions {
  checkoutDir: string;
  manifests: string[];
  /** The pool this worker serves, to warn about deployments meant for another one. */
  workPool: string;
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  api: PrefectApi;
  log: Logger;
  signal: AbortSignal;
  secrets: string[];
}

export interface DeploymentResult {
  manifest: string;
  deployment: string;
  outcome: "registered" | "updated" | "failed";
  id?: string;
  reason?: string;
  durationMs?: number;
}

/** Registers everything; failures are results, only a stop signal ends it early (by throwing). */
export async function registerAll(options: RegistrationOptions): Promise<DeploymentResult[]> {
  const results: DeploymentResult[] = [];
  for (const path of options.manifests) {
    const manifest = await readManifest(options.checkoutDir, path);
    results.push(...await registerManifest(manifest, options));
  }
  return withoutCollisions(results);
}

/**
 * Prefect keys a deployment by its flow's name (`@flow(name=...)`, not the function's) and its
 * own name. Two entries whose flows carry the same name land on one deployment, the second
 * overwriting the first; both are reported, since neither is what its entry declares.
 */
function withoutCollisions(results: DeploymentResult[]): DeploymentResult[] {
  const byId = new Map<string, DeploymentResult[]>();
  for (const result of results) {
    if (result.id) byId.set(result.id, [...byId.get(result.id) ?? [], result]);
  }
  return results.map((result) => {
    const same = result.id ? byId.get(result.id) ?? [] : [];
    if (same.length < 2) return result;
    const labels = same.map((r) => r.deployment).join(" and ");
    return { ...result, outcome: "failed", reason: `${labels} became one deployment (id ` +
      `${result.id}): their flows carry the same name, so the last one registered replaced ` +
      "the others; give the deployments different names" };
  });
}

async function registerManifest(manifest: Manifest, options: RegistrationOptions):
  Promise<DeploymentResult[]> {
  const failed = (deployment: string, reason: string): DeploymentResult =>
    ({ manifest: manifest.path, deployment, outcome: "failed", reason });
  const results = manifest.unnamed.map((position) =>
    failed(`(entry ${position})`, "it has no name, so prefect deploy cannot select it"));

  if (manifest.problem) {
    if (manifest.deployments.length === 0) return [...results, failed("*", manifest.problem)];
    return [...results, ...manifest.deployments.map((d) => failed(d.name, manifest.problem ?? ""))];
  }
  if (manifest.deployments.length === 0) {
    options.log.warn({ phase: "registration", manifest: manifest.path },
      `${manifest.path} declares no deployments`);
  }
  for (const deployment of manifest.deployments) {
    if (deployment.problem) {
      results.push(failed(fillPlaceholders(deployment.selector, options.env), deployment.problem));
      continue;
    }
    const pool = deployment.workPool && fillPlaceholders(deployment.workPool, options.env);
    if (pool && pool !== options.workPool) {
      options.log.warn({ phase: "registration", deployment: deployment.name, pool },
        `deployment ${deployment.name} targets work pool ${pool}; this worker serves ` +
        `${options.workPool} and will not run it`);
    }
    results.push(await registerOne(manifest.path, deployment, options));
  }
  return results;
}

async function registerOne(manifest: string, deployment: ManifestDeployment,
  options: RegistrationOptions): Promise<DeploymentResult> {
  const { log, api } = options;
  const name = fillPlaceholders(deployment.name, options.env);
  // Entries sharing a name are told apart by their flow function in the summary too.
  const label = fillPlaceholders(deployment.selector, options.env);
  const result = (outcome: DeploymentResult["outcome"], extra: Partial<DeploymentResult>) =>
    ({ manifest, deployment: label, outcome, ...extra });
  const before = await findDeployments(api, name);

  const output: string[] = [];
  // Non-interactive prefect deploy fails a deployment without a work pool; it goes to ours.
  const pool = deployment.workPool ? [] : ["--pool", options.workPool];
  const exit = await runChild("prefect", ["--no-prompt", "deploy", "--prefect-file", manifest,
    // --name=value: a name that starts with "--" must not be read as an option.
    `--name=${deployment.selector}`, ...pool], {
    cwd: options.checkoutDir, env: options.env, timeoutMs: options.timeoutMs,
    signal: options.signal,
    onLine: (line) => {
      const shown = withoutBox(redactText(line, options.secrets));
      output.push(shown);
      // Prefect's own chatter (hints to start a worker, deprecation warnings) is noise on
      // success; it is shown at debug level, and in full below when the deploy fails.
      if (shown !== "") log.debug({ phase: "registration", deployment: label }, shown);
    },
  });
  const durationMs = exit.durationMs;
  if (exit.stopped) throw options.signal.reason;
  if (exit.startError) {
    // Not this deployment's fault: without prefect neither registration nor the worker can run.
    throw new EntrypointError(`prefect could not be started (${exit.startError}); is it ` +
      "installed and on PATH?", { exitStatus: ExitStatus.unavailable });
  }
  if (exit.exitCode !== 0 || exit.timedOut) {
    log.warn({ phase: "registration", deployment: label,
      output: output.filter((line) => line !== "").slice(-outputLinesOnFailure).join("\n") },
    `output of the failed prefect deploy of ${label}`);
  }
  if (exit.timedOut) {
    return result("failed", { durationMs, reason: `prefect deploy did not finish within ` +
      `${options.timeoutMs / 1000} s (DEPLOY_TIMEOUT_SECONDS) and was stopped` });
  }
  if (exit.exitCode !== 0) {
    const status = exit.signal ? `was killed by ${exit.signal}` : `exited with ${exit.exitCode}`;
    return result("failed", { durationMs, reason: `prefect deploy ${status}: ` +
      failureReason(output) });
  }

  const after = await findDeployments(api, name);
  const changed = after.filter((d) =>
    !before.some((b) => b.id === d.id && b.updated === d.updated));
  const created = changed.find((d) => !before.some((b) => b.id === d.id));
  if (created) return result("registered", { id: created.id, durationMs });
  if (changed[0]) return result("updated", { id: changed[0].id, durationMs });
  return result("failed", { durationMs, reason: `prefect deploy exited 0, but no deployment ` +
    `named ${name} changed on the server` });
}

/** Prefect draws a box around its success message; the frame is noise in a log line. */
function withoutBox(line: string): string {
  return line.replace(/[╭╮╰╯─│]/g, "").trim();
}

interface StoredDeployment {
  id: string;
  updated: string;
}

async function findDeployments(api: PrefectApi, name: string): Promise<StoredDeployment[]> {
  const answer = await api.request<StoredDeployment[]>("POST", "/deployments/filter",
    { body: { deployments: { name: { any_: [name] } } } });
  return answer.body.map(({ id, updated }) => ({ id, updated }));
}
