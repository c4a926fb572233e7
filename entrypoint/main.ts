/**
 * The entrypoint of the self-registering Prefect worker. Every container start converges to the
 * same state, phase by phase:
 *
 *   configuration → credentials → workspace → Prefect API → work pool → registration → worker
 *
 * While the worker serves, the workspace is synced again every SYNC_INTERVAL_SECONDS and a moved
 * branch is registered again (resync.ts), so a push needs no restart.
 *
 * Each phase logs its start and its outcome with its duration. Without GITEA_REPO_URL the
 * credentials, workspace and registration phases are skipped and only the worker runs.
 * Exit statuses are listed in errors.ts.
 */
import { waitForApi } from "./api.js";
import { bootLogSettings, loadConfig, type Config, type WorkspaceRepository } from "./config.js";
import { writeNetrc } from "./credentials.js";
import { childEnvironment, deployEnvironment, workerEnvironment } from "./environment.js";
import { ConfigError, describeError, ExitStatus, exitStatusFor } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import { runPhase } from "./phase.js";
import { PrefectApi } from "./prefect-api.js";
import { redactUrl } from "./redact.js";
import { registerAll, type DeploymentResult } from "./registration.js";
import { startResync, type Resync } from "./resync.js";
import { StopSignals } from "./signals.js";
import {
  reportConfiguration, reportRegistration, reportServing, type StartupTimings,
} from "./summary.js";
import { ensureWorkPool, type WorkPoolResult } from "./work-pool.js";
import { runWorker } from "./worker.js";
import { syncWorkspace, type WorkspaceResult } from "./workspace.js";

const stop = new StopSignals().install();
const timings: StartupTimings = { started: Date.now(), phases: {} };

process.exit(await main());

async function main(): Promise<number> {
  const config = configure();
  if (config === undefined) return ExitStatus.config;
  const log = createLogger(config.log, config.secrets);
  stop.useLogger(log);
  try {
    return await start(config, log);
  } catch (error) {
    // After a stop signal, whatever the aborted phase threw is a consequence of the signal.
    const status = exitStatusFor(stop.signal.aborted ? stop.signal.reason : error);
    const unexpected = status === ExitStatus.software;
    log[unexpected ? "fatal" : "error"]({ exitStatus: status, error: describeError(error),
      ...(unexpected ? { err: error } : {}) }, `exiting with ${status}: ${describeError(error)}`);
    return status;
  }
}

async function start(config: Config, log: Logger): Promise<number> {
  reportConfiguration(config, timings.phases.configuration, log);
  const api = new PrefectApi(config.apiUrl,
    { apiKey: config.apiKey, authString: config.apiAuthString }, stop.signal);
  const repo = config.repository;

  const workspace = repo ? await syncRepository(config, repo, log) : undefined;
  await waitForPrefect(config, api, log);
  const pool = await prepareWorkPool(config, api, log);
  const results = repo && workspace && canRegister(workspace, log)
    ? await register(config, repo, workspace, pool, api, log) : [];

  if (config.registrationStrict && results.some((r) => r.outcome === "failed")) {
    log.error({ phase: "registration", exitStatus: ExitStatus.registrationFailed },
      "REGISTRATION_STRICT=true and a deployment failed to register: not starting the worker");
    return ExitStatus.registrationFailed;
  }

  // Phase 7: the worker, for as long as the container runs.
  stop.enter("worker start");
  await reportServing({ api, pool, workspace, results, timings, log });
  stop.throwIfStopped();
  const resync = resyncWhileServing(config, repo, workspace, pool, api, log);
  try {
    return await runWorker({ pool: pool.name, type: pool.type, args: config.workerArgs,
      env: workerEnvironment(config, process.env), stop, api, log,
      health: { host: config.workerHealthHost, port: config.workerHealthPort } });
  } finally {
    await resync?.stop();
  }
}

/** Phase 1: the environment, validated before anything runs. */
function configure(): Config | undefined {
  const started = Date.now();
  try {
    const config = loadConfig(process.env, process.argv.slice(2));
    timings.phases.configuration = Date.now() - started;
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const log = createLogger(bootLogSettings(process.env), []);
    log.error({ phase: "configuration", outcome: "invalid", problems: error.problems,
      exitStatus: error.exitStatus, durationMs: Date.now() - started }, error.message);
    process.stderr.write(error.explain());
    return undefined;
  }
}

/** Phases 2 and 3: ~/.netrc for git (ours, and the flow runs' pull steps), then the checkout. */
async function syncRepository(config: Config, repo: WorkspaceRepository, log: Logger):
  Promise<WorkspaceResult> {
  stop.enter("credentials");
  const { username, password } = repo;
  await timed("credentials", () => runPhase(log, "credentials", "writing ~/.netrc",
    async () => username && password
      ? writeNetrc({ home: config.home, host: repo.host, login: username, password })
      : undefined,
    (netrc) => netrc
      ? { outcome: netrc.action, message: `~/.netrc ${netrc.action} for ${repo.host}`,
        fields: { path: netrc.path, host: repo.host } }
      : { outcome: "skipped", message: "no GITEA_USERNAME/GITEA_PASSWORD: ~/.netrc left as it " +
        `is (git uses an entry for ${repo.host} if one is there, else clones anonymously)` }));

  // syncWorkspace logs its own start and outcome under phase "workspace".
  stop.enter("workspace sync");
  const workspace = await timed("workspace", () => sync(config, repo, log, stop.signal));
  stop.throwIfStopped();
  return workspace;
}

/** One sync of the checkout, at start-up and on every resync. */
function sync(config: Config, repo: WorkspaceRepository, log: Logger, signal: AbortSignal):
  Promise<WorkspaceResult> {
  return syncWorkspace({
    repoUrl: repo.url, checkoutDir: repo.checkoutDir, branch: repo.branch,
    timeoutMs: config.gitTimeoutMs, retries: config.gitRetries,
    env: childEnvironment(config, process.env), log, signal, secrets: config.secrets,
  });
}

/** Phase 4: the Prefect API, which may still be starting next to us. */
async function waitForPrefect(config: Config, api: PrefectApi, log: Logger): Promise<void> {
  stop.enter("waiting for the Prefect API");
  await timed("api", () => runPhase(log, "api", `waiting for ${redactUrl(config.apiUrl)}/ready`,
    () => waitForApi(api, config.apiReadyTimeoutMs, stop.signal, log),
    (ready) => ({ outcome: "ready", message: "the Prefect API is ready",
      fields: { attempts: ready.attempts } })));
}

/** Phase 5: the work pool, which prefect deploy requires to exist. */
async function prepareWorkPool(config: Config, api: PrefectApi, log: Logger):
  Promise<WorkPoolResult> {
  stop.enter("work pool");
  return timed("workPool", () => runPhase(log, "work-pool",
    `checking work pool ${config.workPool.name}`,
    () => ensureWorkPool(api, config.workPool, log),
    (pool) => ({ outcome: pool.outcome, fields: { pool: pool.name, type: pool.type },
      message: `work pool ${pool.name} (${pool.type}) ${pool.outcome}` })));
}

/** A stale checkout is still registered; without any checkout there is nothing to register. */
function canRegister(workspace: WorkspaceResult, log: Logger): boolean {
  if (workspace.outcome === "unavailable" || workspace.outcome === "empty") {
    log.warn({ phase: "registration", outcome: "skipped", workspace: workspace.outcome },
      `no checkout to register from (workspace ${workspace.outcome}); the worker starts anyway`);
    return false;
  }
  if (workspace.outcome === "stale") {
    log.warn({ phase: "registration", commit: workspace.commit }, "the workspace could not be " +
      "brought up to date (see the workspace line above): registering from the last good checkout");
  }
  return true;
}

/** Phase 6: every deployment of every manifest, each with its own `prefect deploy`. */
async function register(config: Config, repo: WorkspaceRepository, workspace: WorkspaceResult,
  pool: WorkPoolResult, api: PrefectApi, log: Logger): Promise<DeploymentResult[]> {
  stop.enter("registration");
  const results = await timed("registration",
    () => registerWorkspace(config, repo, workspace, pool, api, log, stop.signal));
  stop.throwIfStopped();
  return results;
}

/** Every deployment of the checkout, with one summary line each; at start-up and on resync. */
function registerWorkspace(config: Config, repo: WorkspaceRepository,
  workspace: WorkspaceResult, pool: WorkPoolResult, api: PrefectApi, log: Logger,
  signal: AbortSignal): Promise<DeploymentResult[]> {
  return runPhase(log, "registration",
    `registering the deployments of ${config.manifests.join(", ")}`,
    () => registerAll({
      checkoutDir: workspace.checkoutDir, manifests: config.manifests, workPool: pool.name,
      timeoutMs: config.deployTimeoutMs, api, log, signal, secrets: config.secrets,
      env: deployEnvironment(config, process.env, { repoUrl: repo.url,
        branch: workspace.branch, checkoutDir: workspace.checkoutDir }),
    }),
    (all) => reportRegistration(all, log));
}

/** Phase 8, beside the worker: the workspace synced again every SYNC_INTERVAL_SECONDS. */
function resyncWhileServing(config: Config, repo: WorkspaceRepository | undefined,
  workspace: WorkspaceResult | undefined, pool: WorkPoolResult, api: PrefectApi, log: Logger):
  Resync | undefined {
  if (repo === undefined || config.syncIntervalMs === 0) return undefined;
  // Without a checkout at start-up (git was down, or the repository empty) there is no commit,
  // and the first sync that gets one registers it.
  return startResync({
    intervalMs: config.syncIntervalMs, commit: workspace?.commit, log,
    sync: (signal, syncLog) => sync(config, repo, syncLog, signal),
    register: (synced, signal) =>
      registerWorkspace(config, repo, synced, pool, api, log, signal),
    apiReady: async () => {
      await api.request("GET", "/ready");
    },
  }, stop.stopping);
}

async function timed<T>(phase: keyof StartupTimings["phases"], run: () => Promise<T>):
  Promise<T> {
  const started = Date.now();
  try {
    return await run();
  } finally {
    timings.phases[phase] = Date.now() - started;
  }
}
