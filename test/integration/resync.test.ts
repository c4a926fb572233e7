/**
 * The resync while the worker serves: commits pushed after start-up are registered without a
 * restart, a git outage never stops the worker, and a stop signal ends a resync in progress.
 */
import { describe, expect, it } from "vitest";

import { freePort } from "../../stack/ports.js";
import {
  gitPassword, gitUser, manifestYaml, minimalWorkspace, processesMarked, runEntrypoint,
  temporaryFolder, type EntrypointRun, type LogLine,
} from "./entrypoint-fixtures.js";
import { deploymentsNamed, waitForOnlineWorker } from "./prefect-queries.js";
import { useTestServers } from "./test-servers.js";

const servers = useTestServers();

/** A container start with a two-second resync interval. */
async function start(repo: string, pool: string, env: Record<string, string> = {}):
  Promise<EntrypointRun> {
  const flows = temporaryFolder("flows-");
  const run = runEntrypoint({
    env: { PREFECT_API_URL: servers.prefect.apiUrl, FLOWS_DIR: flows.path,
      WORK_POOL_NAME: pool, WORKER_HEALTH_PORT: String(await freePort()),
      GITEA_REPO_URL: servers.git.repoUrl(repo), GITEA_USERNAME: gitUser,
      GITEA_PASSWORD: gitPassword, SYNC_INTERVAL_SECONDS: "2", ...env },
    args: ["--name", `worker-${pool}`],
  });
  servers.cleanups.push(() => run.stop(), flows.remove);
  return run;
}

async function newRepo(name: string, deployments: string[]): Promise<void> {
  await servers.git.createRepo(name, { fromDir: minimalWorkspace });
  await servers.git.commit(name, { files: {
    "prefect.yaml": manifestYaml(deployments.map((d) => ({ name: d }))) } });
}

const isServing = (line: LogLine) => line.phase === "worker" && Array.isArray(line.deployments);
const resyncSaid = (outcome: string) => (line: LogLine) =>
  line.phase === "resync" && line.outcome === outcome;
const registered = (deployment: string, outcome: string) => (line: LogLine) =>
  line.phase === "registration" && line.deployment === deployment && line.outcome === outcome;

describe("the resync while the worker serves", () => {
  it("registers a deployment pushed after start-up without restarting the worker", async () => {
    await newRepo("growing-live", ["first"]);
    const run = await start("growing-live", "live-pool");
    await run.waitForLog(isServing);
    expect(await deploymentsNamed(servers.prefect.apiUrl, "second")).toEqual([]);

    const commit = await servers.git.commit("growing-live", { files: {
      "prefect.yaml": manifestYaml([{ name: "first" }, { name: "second" }]) } });
    const moved = await run.waitForLog(resyncSaid("moved"));
    await run.waitForLog(registered("second", "registered"));

    expect(moved).toMatchObject({ commit });
    expect(run.logs.filter(registered("first", "updated"))).toHaveLength(1);
    const stored = await deploymentsNamed(servers.prefect.apiUrl, "second");
    expect(stored).toHaveLength(1);
    expect(stored[0]?.work_pool_name).toBe("live-pool");
    // Still the first worker process: nothing exited and nothing was started twice.
    expect(run.logs.filter(isServing)).toHaveLength(1);
    expect(run.logs.some((l) => l.phase === "worker" && l.outcome === "exited")).toBe(false);
    expect(await run.terminate()).toEqual({ code: 0, signal: null });
  });

  it("registers nothing again while the branch stays where it was", async () => {
    await newRepo("quiet", ["steady"]);
    const run = await start("quiet", "quiet-pool", { LOG_LEVEL: "debug" });
    await run.waitForLog(isServing);
    await run.waitForLog(resyncSaid("unchanged"));

    expect(run.logs.filter(registered("steady", "updated"))).toEqual([]);
    expect(run.logs.filter(resyncSaid("moved"))).toEqual([]);
  });

  it("keeps serving through a git outage, says so once, and catches up when git answers",
    async () => {
      await newRepo("outage", ["before-outage"]);
      const run = await start("outage", "outage-pool",
        { GIT_TIMEOUT_SECONDS: "1", GIT_RETRIES: "0" });
      await run.waitForLog(isServing);

      servers.git.setLatency(30_000);
      let commit: string;
      try {
        await run.waitForLog(resyncSaid("behind"));
        commit = await servers.git.commit("outage", { files: {
          "prefect.yaml": manifestYaml([{ name: "before-outage" }, { name: "after-outage" }]),
        } });
        // Several intervals go by without an answer; the worker goes on.
        await new Promise((resolve) => setTimeout(resolve, 5000));
        expect(run.logs.filter(resyncSaid("behind"))).toHaveLength(1);
        expect(run.logs.some((l) => l.phase === "worker" && l.outcome === "exited")).toBe(false);
      } finally {
        servers.git.setLatency(0);
      }

      await run.waitForLog(resyncSaid("caught-up"));
      const moved = await run.waitForLog(resyncSaid("moved"));
      await run.waitForLog(registered("after-outage", "registered"));
      expect(moved).toMatchObject({ commit });
      expect(await run.terminate()).toEqual({ code: 0, signal: null });
    });

  it("registers the workspace of a worker that started while git was down", async () => {
    await newRepo("late-git", ["late"]);
    servers.git.setLatency(30_000);
    const run = await start("late-git", "late-pool",
      { GIT_TIMEOUT_SECONDS: "1", GIT_RETRIES: "0" });
    try {
      const serving = await run.waitForLog(isServing);
      expect(serving).toMatchObject({ workspace: "unavailable", deployments: [] });
    } finally {
      servers.git.setLatency(0);
    }

    await run.waitForLog(registered("late", "registered"));
    expect(await deploymentsNamed(servers.prefect.apiUrl, "late")).toHaveLength(1);
  });

  it("SIGTERM during a resync's registration stops prefect deploy; the worker exits 0",
    async () => {
      await newRepo("slow-live", ["quick"]);
      const run = await start("slow-live", "slow-live-pool");
      // Until Prefect has installed its signal handler, SIGTERM ends the worker with 143.
      await waitForOnlineWorker(servers.prefect.apiUrl, "slow-live-pool", "worker-slow-live-pool");
      await servers.git.commit("slow-live", { files: {
        "flows/slow.py": "import time\n\ntime.sleep(300)\n",
        "prefect.yaml": manifestYaml([{ name: "slow-import", entrypoint: "flows/slow.py:hello" }]),
      } });
      await run.waitForLog(resyncSaid("moved"));
      const deadline = Date.now() + 30_000;
      while (!processesMarked(run.marker).some((p) => /prefect --no-prompt deploy/
        .test(p.command))) {
        if (Date.now() > deadline) throw new Error("prefect deploy of the resync never started");
        await new Promise((resolve) => setTimeout(resolve, 100));
      }

      const sent = run.kill("SIGTERM");
      const exit = await run.exit;
      expect(exit).toEqual({ code: 0, signal: null });
      expect((Date.now() - sent) / 1000).toBeLessThan(5);
      expect(processesMarked(run.marker)).toEqual([]);
      expect(run.logs.some(registered("slow-import", "registered"))).toBe(false);
    });
});
