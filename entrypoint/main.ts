/**
 * The entrypoint of the self-registering Prefect worker. Every container start converges to the
 * same state, phase by phase:
 *
 *   configuration → credentials → workspace → Prefect API → work pool → registration → worker
 *
 * Each phase logs its start and its outcome with its duration. Without GITEA_REPO_URL the
 * credentials, workspace and registration phases are skipped and only the worker runs.
 * Exit statuses are listed in errors.ts.
 */
import { loadConfig, bootLogSettings, type Config } from "./config.js";
import { writeNetrc } from "./credentials.js";
import { childEnvironment, deployEnvironment, workerEnvironment } from "./environment.js";
import { ConfigError, describeError, exitStatusFor, ExitStatus } from "./errors.js";
import { createLogger, type Logger } from "./log.js";
import { runPhase } from "./phase.js";
import { PrefectApi } from "./prefect-api.js";
import { waitForApi } from "./api.js";
import { registerAll, type DeploymentResult } from "./registration.js";
import { redactUrl } from "./redact.js";
import { StopSignals } from "./signals.js";
import { reportRegistration, reportServing, type StartupTimings } from "./summary.js";
import { ensureWorkPool } from "./work-pool.js";
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
    const status = exitStatusFor(stop.signal.aborted ? stop.signal.reason : error);
    const unexpected = status === ExitStatus.software;
    log[unexpected ? "fatal" : "error"]({ exitStatus: status, error: describeError(error),
      ...(unexpected ? { err: error } : {}) }, `exiting with ${status}: ${describeError(error)}`);
    return status;
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

async function start(config: Config, log: Logger): Promise<number> {
  const repo = config.repository;
  log.info({ phase: "configuration", outcome: "valid", durationMs: timings.phases.configuration,
    apiUrl: redactUrl(config.apiUrl), repository: repo?.url ?? null, checkoutDir:
    repo?.checkoutDir, branch: repo?.branch ?? (repo ? "(remote default)" : undefined),
    credentials: repo?.password ? "set" : "none", workPool: config.workPool,
    manifests: config.manifests, registrationStrict: config.registrationStrict,
    home: config.home, workerArgs: config.workerArgs }, repo
    ? `configuration valid: workspace ${repo.url} → ${repo.checkoutDir}`
    : "configuration valid: no GITEA_REPO_URL, so no workspace sync and no registration");
  const env = childEnvironment(config, process.env);
  const api = new PrefectApi(config.apiUrl,
    { apiKey: config.apiKey, authString: config.apiAuthString }, stop.signal);

  let workspace: WorkspaceResult | undefined;
  if (repo) {
    // Phase 2: credentials for git, ours now and the flow runs' git_clone pull steps later.
    stop.enter("credentials");
    await timed("credentials", () => runPhase(log, "credentials", "writing ~/.netrc",
      async () => repo.username && repo.password
        ? writeNetrc({ home: config.home, host: repo.host, login: repo.username,
          password: repo.password })
        : undefined,
      (netrc) => netrc
        ? { outcome: netrc.action, message: `~/.netrc ${netrc.action} for ${repo.host}`,
          fields: { path: netrc.path, host: repo.host } }
        : { outcome: "skipped",
          message: "no GITEA_USERNAME/GITEA_PASSWORD: cloning anonymously" }));

    // Phase 3: the workspace checkout (syncWorkspace logs its own start and outcome).
    stop.enter("workspace sync");
    workspace = await timed("workspace", () => syncWorkspace({
      repoUrl: repo.url, checkoutDir: repo.checkoutDir, branch: repo.branch,
      timeoutMs: config.gitTimeoutMs, retries: config.gitRetries, env, log,
      signal: stop.signal, secrets: config.secrets,
    }));
    stop.throwIfStopped();
  }

  // Phase 4: the Prefect API, which may still be starting next to us.
  stop.enter("waiting for the Prefect API");
  await timed("api", () => runPhase(log, "api", `waiting for ${redactUrl(config.apiUrl)}/ready`,
    () => waitForApi(api, config.apiReadyTimeoutMs, stop.signal, log),
    (ready) => ({ outcome: "ready", message: "the Prefect API is ready",
      fields: { attempts: ready.attempts } })));

  // Phase 5: the work pool, which prefect deploy requires to exist.
  stop.enter("work pool");
  const pool = await timed("workPool", () => runPhase(log, "work-pool",
    `checking work pool ${config.workPool.name}`,
    () => ensureWorkPool(api, config.workPool, log),
    (result) => ({ outcome: result.outcome, fields: { pool: result.name, type: result.type },
      message: `work pool ${result.name} (${result.type}) ${result.outcome}` })));

  // Phase 6: registration of every deployment in the manifests.
  let results: DeploymentResult[] = [];
  if (repo && workspace && canRegister(workspace, log)) {
    stop.enter("registration");
    const checkout = workspace;
    results = await timed("registration", () => runPhase(log, "registration",
      `registering the deployments of ${config.manifests.join(", ")}`,
      () => registerAll({
        checkoutDir: checkout.checkoutDir, manifests: config.manifests,
        workPool: pool.name, timeoutMs: config.deployTimeoutMs, api, log,
        signal: stop.signal, secrets: config.secrets,
        env: deployEnvironment(config, process.env, { repoUrl: repo.url,
          branch: checkout.branch, checkoutDir: checkout.checkoutDir }),
      }),
      (all) => reportRegistration(all, log)));
    stop.throwIfStopped();
    if (config.registrationStrict && results.some((r) => r.outcome === "failed")) {
      log.error({ phase: "registration", exitStatus: ExitStatus.registrationFailed },
        "REGISTRATION_STRICT=true and a deployment failed to register: not starting the worker");
      return ExitStatus.registrationFailed;
    }
  }

  // Phase 7: the worker, for as long as the container runs.
  stop.enter("worker start");
  await reportServing({ api, pool, workspace, results, timings, log });
  stop.throwIfStopped();
  return runWorker({ pool: pool.name, type: pool.type, args: config.workerArgs,
    env: workerEnvironment(config, process.env), stop, log });
}

/** A stale checkout is still registered; without any checkout there is nothing to register. */
function canRegister(workspace: WorkspaceResult, log: Logger): boolean {
  if (workspace.outcome === "unavailable" || workspace.outcome === "empty") {
    log.warn({ phase: "registration", outcome: "skipped", workspace: workspace.outcome },
      `no checkout to register from (workspace ${workspace.outcome}); the worker starts anyway`);
    return false;
  }
  if (workspace.outcome === "stale") {
    log.warn({ phase: "registration", commit: workspace.commit }, "the remote is unreachable: " +
      "registering from the last good checkout");
  }
  return true;
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
