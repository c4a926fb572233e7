/**
 * Whole container starts: the bundle against a real Prefect server and a real authenticated git
 * server, checked through the Prefect API, the worker's health server and the log.
 */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { freePort } from "../../stack/ports.js";
import { seedWorkspaceDir } from "../../stack/paths.js";
import {
  commandLinesOf, gitPassword, gitUser, manifestYaml, minimalWorkspace,
  processesMarked, runEntrypoint, temporaryFolder, type EntrypointRun, type LogLine,
} from "./entrypoint-fixtures.js";
import {
  deploymentsNamed, readDeployment, readWorkPool, waitForOnlineWorker,
} from "./prefect-queries.js";
import { useTestServers } from "./test-servers.js";

const servers = useTestServers();

interface StartOptions {
  repo?: string;
  pool: string;
  flowsDir?: string;
  env?: Record<string, string>;
}

/** One container start; the worker gets a unique name so its heartbeat can be found. */
async function start(options: StartOptions): Promise<EntrypointRun & { workerName: string;
  healthPort: number }> {
  const healthPort = await freePort();
  const workerName = `worker-${options.pool}-${Date.now()}`;
  let flows = options.flowsDir;
  if (flows === undefined) {
    const folder = temporaryFolder("flows-");
    servers.cleanups.push(folder.remove);
    flows = folder.path;
  }
  const run = runEntrypoint({
    env: {
      PREFECT_API_URL: servers.prefect.apiUrl,
      WORK_POOL_NAME: options.pool,
      WORKER_HEALTH_PORT: String(healthPort),
      FLOWS_DIR: flows,
      ...(options.repo ? { GITEA_REPO_URL: servers.git.repoUrl(options.repo),
        GITEA_USERNAME: gitUser, GITEA_PASSWORD: gitPassword } : {}),
      ...options.env,
    },
    args: ["--name", workerName],
  });
  servers.cleanups.push(() => run.stop());
  return Object.assign(run, { workerName, healthPort });
}

const isServing = (line: LogLine) => line.phase === "worker" && Array.isArray(line.deployments);
const outcomeOf = (run: EntrypointRun, deployment: string) =>
  run.logs.find((l) => l.phase === "registration" && l.deployment === deployment && l.outcome);

describe("a container start", () => {
  it("creates the pool, registers the tutorial deployment and starts a polling worker on a " +
    "fresh server and a fresh volume", async () => {
    expect((await readWorkPool(servers.prefect.apiUrl, "local-pool")).status).toBe(404);
    await servers.git.createRepo("workspace", { fromDir: seedWorkspaceDir });

    const run = await start({ repo: "workspace", pool: "local-pool" });
    const serving = await run.waitForLog(isServing);
    await waitForOnlineWorker(servers.prefect.apiUrl, "local-pool", run.workerName);

    const pool = await readWorkPool(servers.prefect.apiUrl, "local-pool");
    expect(pool.body).toMatchObject({ name: "local-pool", type: "process" });
    const stored = await deploymentsNamed(servers.prefect.apiUrl, "nyc-green-taxi-pipeline");
    expect(stored).toHaveLength(1);
    expect(stored[0]?.work_pool_name).toBe("local-pool");
    expect(outcomeOf(run, "nyc-green-taxi-pipeline"))
      .toMatchObject({ outcome: "registered", deploymentId: stored[0]?.id });
    expect(serving.deployments).toEqual(["nyc-green-taxi-pipeline"]);
    expect(serving.commit).toMatch(/^[0-9a-f]{40}$/);
    const health = await fetch(`http://127.0.0.1:${run.healthPort}/health`);
    expect(health.status).toBe(200);

    for (const phase of ["credentials", "api", "work-pool", "registration"]) {
      expect(run.logs.some((l) => l.phase === phase && l.step === "start")).toBe(true);
      const done = run.logs.find((l) => l.phase === phase && typeof l.outcome === "string" &&
        l.deployment === undefined);
      expect(done?.durationMs, `${phase} outcome line`).toBeTypeOf("number");
    }
    console.log("phase durations of a fresh start (ms):", JSON.stringify(serving.phaseDurationsMs),
      "startup:", serving.startupMs);
  });

  it("takes credentials from inside GITEA_REPO_URL and keeps them out of the stored deployment, " +
    "the logs, process arguments and .git/config", async () => {
    await servers.git.createRepo("secrets", { fromDir: minimalWorkspace });
    await servers.git.commit("secrets", { files: { "prefect.yaml": manifestYaml([
      { name: "secret-check" }]) } });
    const flows = temporaryFolder("flows-");
    servers.cleanups.push(flows.remove);

    const withCredentials = servers.git.repoUrl("secrets")
      .replace("://", `://${gitUser}:${encodeURIComponent(gitPassword)}@`);
    const run = await start({ pool: "secret-pool", flowsDir: flows.path,
      env: { GITEA_REPO_URL: withCredentials } });
    await run.waitForLog(isServing);
    await waitForOnlineWorker(servers.prefect.apiUrl, "secret-pool", run.workerName);
    const commandLines = commandLinesOf(run.marker);
    const [stored] = await deploymentsNamed(servers.prefect.apiUrl, "secret-check");
    const deployment = await readDeployment(servers.prefect.apiUrl, stored?.id ?? "");
    await run.terminate();

    expect(deployment.pull_steps).toEqual([{ "prefect.deployments.steps.git_clone": {
      repository: servers.git.repoUrl("secrets"), branch: "main" } }]);
    const forms = [gitPassword, encodeURIComponent(gitPassword), "Secret-42"];
    const gitConfig = fs.readFileSync(path.join(flows.path, "secrets", ".git", "config"), "utf8");
    for (const [where, text] of Object.entries({ deployment: JSON.stringify(deployment),
      stdout: run.stdout(), stderr: run.stderr(), commandLines, gitConfig })) {
      for (const form of forms) expect(text, `${where} contains a secret`).not.toContain(form);
    }
    expect(commandLines).toContain("worker start");
  });

  it("updates the same deployment on the second and third start without duplicates", async () => {
    await servers.git.createRepo("restarts", { fromDir: minimalWorkspace });
    await servers.git.commit("restarts", { files: { "prefect.yaml": manifestYaml([
      { name: "restart-check" }]) } });
    const flows = temporaryFolder("flows-");
    servers.cleanups.push(flows.remove);

    const outcomes: unknown[] = [];
    for (let round = 1; round <= 3; round += 1) {
      const run = await start({ repo: "restarts", pool: "restart-pool", flowsDir: flows.path });
      await run.waitForLog(isServing);
      // A SIGTERM before Python has installed its handlers kills the worker outright (143).
      await waitForOnlineWorker(servers.prefect.apiUrl, "restart-pool", run.workerName);
      const line = outcomeOf(run, "restart-check");
      outcomes.push([line?.outcome, line?.deploymentId]);
      if (round > 1) {
        expect(run.logs.some((l) => l.msg?.startsWith("workspace unchanged"))).toBe(true);
      }
      expect(await run.terminate()).toEqual({ code: 0, signal: null });
    }

    const stored = await deploymentsNamed(servers.prefect.apiUrl, "restart-check");
    expect(stored).toHaveLength(1);
    const id = stored[0]?.id;
    expect(outcomes).toEqual([["registered", id], ["updated", id], ["updated", id]]);
  });

  it("registers a deployment added by a new commit on the next start", async () => {
    await servers.git.createRepo("growing", { fromDir: minimalWorkspace });
    await servers.git.commit("growing",
      { files: { "prefect.yaml": manifestYaml([{ name: "first" }]) } });
    const flows = temporaryFolder("flows-");
    servers.cleanups.push(flows.remove);

    const before = await start({ repo: "growing", pool: "growing-pool", flowsDir: flows.path });
    await before.waitForLog(isServing);
    await before.stop();
    const commit = await servers.git.commit("growing", { files: {
      "prefect.yaml": manifestYaml([{ name: "first" }, { name: "second" }]) } });

    const after = await start({ repo: "growing", pool: "growing-pool", flowsDir: flows.path });
    const serving = await after.waitForLog(isServing);
    expect(outcomeOf(after, "first")?.outcome).toBe("updated");
    expect(outcomeOf(after, "second")?.outcome).toBe("registered");
    expect(serving).toMatchObject({ deployments: ["first", "second"], commit });
    expect(await deploymentsNamed(servers.prefect.apiUrl, "second")).toHaveLength(1);
  });

  it("starts only the worker, without sync or registration, when GITEA_REPO_URL is not set",
    async () => {
      const flows = temporaryFolder("flows-");
      servers.cleanups.push(flows.remove);
      const run = await start({ pool: "bare-pool", flowsDir: flows.path });
      const serving = await run.waitForLog(isServing);
      await waitForOnlineWorker(servers.prefect.apiUrl, "bare-pool", run.workerName);

      expect(serving).toMatchObject({ workspace: "none", deployments: [] });
      const phases = new Set(run.logs.map((l) => l.phase));
      expect(phases).not.toContain("workspace");
      expect(phases).not.toContain("registration");
      expect(phases).not.toContain("credentials");
      expect(fs.readdirSync(flows.path)).toEqual([]);
      expect(fs.existsSync(path.join(run.home, ".netrc"))).toBe(false);

      expect(await run.terminate()).toEqual({ code: 0, signal: null });
      expect(processesMarked(run.marker)).toEqual([]);
    });

  it("warns that the health endpoint cannot start on a taken port, and serves anyway",
    async () => {
      const squatter = net.createServer();
      await new Promise<void>((resolve) => squatter.listen(0, "127.0.0.1", resolve));
      const port = (squatter.address() as net.AddressInfo).port;
      try {
        const run = await start({ pool: "busy-health-pool", env: {
          WORKER_HEALTH_HOST: "127.0.0.1", WORKER_HEALTH_PORT: String(port) } });
        await waitForOnlineWorker(servers.prefect.apiUrl, "busy-health-pool", run.workerName);

        const warning = run.logs.find((l) => l.phase === "worker" && l.level === "warn");
        expect(warning?.msg).toBe(`127.0.0.1:${port} is in use (EADDRINUSE): the worker will ` +
          "run without its health endpoint and the image's HEALTHCHECK will fail; set " +
          "WORKER_HEALTH_PORT to a free port");
        // Prefect's worker may exit 1 on SIGTERM after its health server failed to bind; the
        // entrypoint passes on whatever status it has.
        const exit = await run.terminate();
        expect(run.logs.at(-1)).toMatchObject({ phase: "worker", outcome: "exited",
          exitStatus: exit.code });
        expect(processesMarked(run.marker)).toEqual([]);
      } finally {
        squatter.close();
      }
    });

  it("registers from the last good checkout when the git server stops answering", async () => {
    await servers.git.createRepo("flaky", { fromDir: minimalWorkspace });
    await servers.git.commit("flaky",
      { files: { "prefect.yaml": manifestYaml([{ name: "kept" }]) } });
    const flows = temporaryFolder("flows-");
    servers.cleanups.push(flows.remove);
    const first = await start({ repo: "flaky", pool: "flaky-pool", flowsDir: flows.path });
    await first.waitForLog(isServing);
    await first.stop();

    servers.git.setLatency(60_000);
    try {
      const run = await start({ repo: "flaky", pool: "flaky-pool", flowsDir: flows.path,
        env: { GIT_TIMEOUT_SECONDS: "2", GIT_RETRIES: "0" } });
      const serving = await run.waitForLog(isServing);
      expect(serving).toMatchObject({ workspace: "stale", deployments: ["kept"] });
      expect(outcomeOf(run, "kept")?.outcome).toBe("updated");
      expect(run.logs.some((l) => l.msg === "the workspace could not be brought up to date " +
        "(see the workspace line above): registering from the last good checkout")).toBe(true);
    } finally {
      servers.git.setLatency(0);
    }
  });

  it("starts the worker without registration when there is no checkout and no git server",
    async () => {
      const closed = `http://127.0.0.1:${await freePort()}/team/workspace.git`;
      const run = await start({ pool: "orphan-pool", env: { GITEA_REPO_URL: closed,
        GITEA_USERNAME: gitUser, GITEA_PASSWORD: gitPassword, GIT_RETRIES: "0" } });
      const serving = await run.waitForLog(isServing);
      await waitForOnlineWorker(servers.prefect.apiUrl, "orphan-pool", run.workerName);

      expect(serving).toMatchObject({ workspace: "unavailable", deployments: [] });
      expect(run.logs.find((l) => l.phase === "registration")).toMatchObject({
        outcome: "skipped", msg: "no checkout to register from (workspace unavailable); the " +
          "worker starts anyway" });
      // What the worker itself does with SIGTERM is Prefect's (signals.test.ts pins the usual
      // 0); here the entrypoint must end with whatever status the worker left.
      const exit = await run.terminate();
      const exited = await run.waitForLog((l) => l.phase === "worker" && l.outcome === "exited");
      expect(exit).toEqual({ code: exited.exitStatus, signal: null });
    });

  it("exits 77 naming the repository when the git server refuses the password", async () => {
    await servers.git.createRepo("guarded", { fromDir: minimalWorkspace });
    const run = await start({ pool: "refused-pool", env: {
      GITEA_REPO_URL: servers.git.repoUrl("guarded"), GITEA_USERNAME: gitUser,
      GITEA_PASSWORD: "not-the-password" } });

    expect(await run.exit).toEqual({ code: 77, signal: null });
    expect(run.logs.at(-1)?.msg).toContain(`exiting with 77: authentication failed for ` +
      `${servers.git.repoUrl("guarded")}: check GITEA_USERNAME / GITEA_PASSWORD`);
    expect(run.stdout() + run.stderr()).not.toContain("not-the-password");
  });
  it("leaves an existing pool of another type as it is and passes the worker's exit status on",
    async () => {
      const created = await fetch(`${servers.prefect.apiUrl}/work_pools/`, { method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "other-type-pool", type: "kubernetes" }) });
      expect(created.status).toBe(201);

      const run = await start({ pool: "other-type-pool" });
      const exit = await run.exit;
      expect(run.logs.find((l) => l.phase === "work-pool" && l.level === "warn")?.msg).toBe(
        "work pool other-type-pool exists with type kubernetes, not WORK_POOL_TYPE=process; " +
        "it is left as it is and the worker starts as type kubernetes");
      // This image has no Kubernetes worker: prefect worker start fails, and so does the start.
      expect(exit).toEqual({ code: 1, signal: null });
      expect(run.logs.at(-1)).toMatchObject({ phase: "worker", outcome: "exited", exitCode: 1 });
      const pool = await readWorkPool(servers.prefect.apiUrl, "other-type-pool");
      expect(pool.body.type).toBe("kubernetes");
    });
});
