/**
 * `npm run demo`: the whole system on one machine. A Prefect server with its UI, a git server
 * holding the tutorial workspace, an S3-compatible server standing in for R2, and the worker
 * entrypoint run exactly as the image runs it; then one run of the tutorial's deployment,
 * followed to its end, and the stack kept up for the UI until Ctrl-C.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

import { redactUrl } from "../entrypoint/redact.js";
import { listObjects } from "./demo-bucket.js";
import { elapsed, say } from "./demo-console.js";
import { currentDeployment, triggerFlowRun, waitForFinalState, waitForRegistration }
  from "./demo-flow-run.js";
import { parseOptionsOrExit, type DemoOptions } from "./demo-options.js";
import { assertPortFree, buildBundle, claimStateDir, prepareStateDir, tlcFilesIn }
  from "./demo-preflight.js";
import { PrefectApi } from "./demo-prefect-api.js";
import { printObjects, reportOutcome, writeSummary } from "./demo-report.js";
import { DemoError, inPart, RunningStack } from "./demo-stack.js";
import { startWorker, workerEnv } from "./demo-worker.js";
import { startFileServer } from "./file-server.js";
import { startGitServer } from "./git-server.js";
import { seedWorkspaceDir } from "./paths.js";
import { freePort } from "./ports.js";
import { startPrefectServer } from "./prefect-server.js";
import { startS3Server } from "./s3-server.js";

const deploymentName = "nyc-green-taxi-pipeline";
const workspaceRepo = "nexus/workspace";
const gitUsername = "nexus";
const objectPrefix = "nexus-tutorials/NYC/";

async function demo(options: DemoOptions, stack: RunningStack): Promise<number> {
  const started = Date.now();
  claimStateDir(options.stateDir);
  await assertPortFree(options.port);
  const tlcFiles = options.tlcDir ? tlcFilesIn(options.tlcDir) : [];
  const state = prepareStateDir(options.stateDir);
  const log = (name: string) => path.join(state.logs, name);

  say("building the worker bundle (node scripts/build.mjs)");
  const bundle = await buildBundle(log("build.log"));

  const database = options.databaseUrl ? redactUrl(options.databaseUrl) : "a new SQLite database";
  say(`starting the Prefect server with its UI on port ${options.port}, on ${database}`);
  const prefect = await stack.start("Prefect server", log("prefect-server.log"), () =>
    startPrefectServer({ port: options.port, ui: true, databaseUrl: options.databaseUrl,
      home: state.prefectHome, logFile: log("prefect-server.log"), readyTimeoutMs: 180_000 }));
  say(`Prefect server ready at ${prefect.url} (${elapsed(started)})`);

  // A fresh password each start; a file readable only by its owner lets a user push changes.
  const password = randomBytes(18).toString("base64url");
  const git = await stack.start("git server", undefined, async () => {
    const server = await startGitServer({ username: gitUsername, password, root: state.gitRoot });
    await server.createRepo(workspaceRepo, { fromDir: seedWorkspaceDir });
    return server;
  });
  const passwordFile = path.join(options.stateDir, "git-password");
  fs.writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  say(`git server ready: ${git.repoUrl(workspaceRepo)} seeded from examples/workspace ` +
    `(user ${gitUsername}, password in ${passwordFile})`);

  const s3 = await stack.start("S3 server", log("s3-server.log"), () =>
    startS3Server({ logFile: log("s3-server.log") }));
  say(`S3-compatible server ready at ${s3.endpoint}, bucket ${s3.bucket}`);

  let tlcBaseUrl: string | undefined;
  if (options.tlcDir) {
    const files = await stack.start("TLC file server", undefined,
      () => startFileServer(options.tlcDir!));
    tlcBaseUrl = files.url;
    say(`serving ${tlcFiles.join(", ")} from ${options.tlcDir} at ${files.url}`);
  } else {
    say("the flow will download the TLC files from the public TLC distribution");
  }

  const api = new PrefectApi(prefect.apiUrl);
  const before = await inPart("Prefect server", prefect.logFile,
    () => currentDeployment(api, deploymentName));
  // The image's default (8080) may be taken on a developer's machine.
  const healthPort = await freePort();
  const worker = await stack.start("worker", log("worker.log"), async () => startWorker({
    env: workerEnv({
      PREFECT_API_URL: prefect.apiUrl,
      GITEA_REPO_URL: git.repoUrl(workspaceRepo),
      GITEA_USERNAME: gitUsername,
      GITEA_PASSWORD: password,
      FLOWS_DIR: state.flows,
      PREFECT_WORKER_QUERY_SECONDS: "2",
      LOG_FORMAT: "pretty",
      WORKER_HEALTH_PORT: String(healthPort),
      WORKER_HEALTH_HOST: "127.0.0.1",
      ...s3.env,
      ...(tlcBaseUrl ? { TLC_BASE_URL: tlcBaseUrl } : {}),
    }, state.workerHome),
    cwd: state.workerHome, logFile: log("worker.log"), quiet: options.quiet,
  }));
  say(`worker started: node ${path.relative(process.cwd(), bundle)}, health check on ` +
    `http://127.0.0.1:${healthPort}/health (log: ${worker.logFile})`);
  const watch = (timeoutMs: number) => ({ timeoutMs, check() {
    if (!worker.running) {
      throw new DemoError("worker", `the worker exited (${worker.exitStatus}) while the demo ` +
        "still needed it", { logFile: worker.logFile });
    }
  } });

  const deployment = await inPart("deployment registration", worker.logFile,
    () => waitForRegistration(api, deploymentName, before, watch(300_000)));
  const stackReady = Date.now();
  say(`deployment ${deploymentName} registered (tags: ${deployment.tags.join(", ")}; work pool ` +
    `${deployment.work_pool_name}) after ${elapsed(started)}`);

  const created = await inPart("flow run", worker.logFile,
    () => triggerFlowRun(api, deployment.id));
  const flowRunUrl = `${prefect.url}/runs/flow-run/${created.id}`;
  say(`triggered flow run ${created.name}: ${flowRunUrl}`);
  const run = await inPart("flow run", worker.logFile, () =>
    waitForFinalState(api, created.id, watch(options.runTimeoutSeconds * 1000), (now) =>
      say(`flow run ${now.name} is ${now.state_name ?? now.state_type} (${elapsed(started)})`)));
  const runSeconds = (Date.now() - stackReady) / 1000;

  const completed = run.state_type === "COMPLETED";
  const statistics = await inPart("flow run", worker.logFile,
    () => reportOutcome(api, run, { downloadsFromInternet: !options.tlcDir }));
  const objects = await inPart("S3 server", s3.logFile, () => listObjects(s3.env, objectPrefix));
  printObjects(`s3://${s3.bucket}/${objectPrefix}`, objects);

  if (options.summaryFile) {
    writeSummary(options.summaryFile, {
      flowRunId: run.id, flowRunName: run.name, deploymentId: deployment.id, deploymentName,
      state: run.state_type ?? "UNKNOWN", stateName: run.state_name ?? "",
      stateMessage: run.state?.message ?? null, statistics: statistics ?? null, objects,
      uiUrl: prefect.url, flowRunUrl, deploymentsUrl: `${prefect.url}/deployments`,
      timings: { stackReadySeconds: (stackReady - started) / 1000, runSeconds,
        totalSeconds: (Date.now() - started) / 1000 },
      logDir: state.logs,
    });
  }
  say(`flow run ${run.state_type} in ${runSeconds.toFixed(1)} s; demo total ${elapsed(started)}`);
  say(`flow run:    ${flowRunUrl}`);
  say(`deployments: ${prefect.url}/deployments`);

  if (options.exitAfterRun) {
    await stack.stopAll();
    return completed ? 0 : 1;
  }
  say(`the stack stays up; logs in ${state.logs}. Press Ctrl-C to stop everything.`);
  const status = await worker.exited;
  if (stack.stopping) return 0;
  throw new DemoError("worker", `the worker exited (${status}) while the stack was up`,
    { logFile: worker.logFile });
}

const options = parseOptionsOrExit(process.argv.slice(2));
const stack = new RunningStack();
stack.stopOnSignals();
let exitCode = 1;
try {
  exitCode = await demo(options, stack);
} catch (error) {
  // After a signal, errors are only the echo of the stack going down; the handler exits.
  if (!stack.signalled) {
    const part = error instanceof DemoError ? error.part : "demo";
    say(`FAILED in the ${part}: ${(error as Error).message}`);
    if (error instanceof DemoError && error.logFile) say(`its log: ${error.logFile}`);
    if (!(error instanceof DemoError)) console.error(error);
  }
}
if (!stack.signalled) {
  await stack.stopAll();
  // Exit now rather than when the last idle HTTP connection happens to close.
  process.exit(exitCode);
}
