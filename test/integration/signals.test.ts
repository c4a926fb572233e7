/**
 * Stop signals in every phase: the entrypoint stops its git or prefect child, exits promptly with
 * the right status, and leaves no process behind (found by the marker in their environment).
 */
import { describe, expect, it } from "vitest";

import { freePort } from "../../stack/ports.js";
import {
  gitPassword, gitUser, manifestYaml, minimalWorkspace, processesMarked,
  runEntrypoint, temporaryFolder, type EntrypointRun,
} from "./entrypoint-fixtures.js";
import {
  createFlowRun, deploymentsNamed, readFlowRun, waitForOnlineWorker,
} from "./prefect-queries.js";
import { useTestServers } from "./test-servers.js";

const sleepyFlow = `"""A flow run that is still running when the container is stopped."""
import time

from prefect import flow


@flow(log_prints=True)
def sleepy() -> None:
    """Sleeps for five minutes."""
    time.sleep(300)
`;

/** A flow run whose helper process shrugs off SIGTERM, so the clean-up takes a few seconds. */
const stubbornFlow = `"""A flow run that leaves a process behind which ignores SIGTERM."""
import subprocess
import time

from prefect import flow

IGNORE_TERM = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"


@flow
def stubborn() -> None:
    """Starts the helper in a session of its own, then sleeps."""
    subprocess.Popen(["python", "-c", IGNORE_TERM], start_new_session=True)
    time.sleep(300)
`;

const servers = useTestServers(async (git) => {
  await git.createRepo("workspace", { fromDir: minimalWorkspace });
  await git.createRepo("slow-deploy", { fromDir: minimalWorkspace });
  await git.commit("slow-deploy", { files: {
    "flows/slow.py": "import time\n\ntime.sleep(300)\n",
    "prefect.yaml": manifestYaml([{ name: "slow-import", entrypoint: "flows/slow.py:hello" }]),
  } });
  await git.createRepo("stubborn-flow", { fromDir: minimalWorkspace });
  await git.commit("stubborn-flow", { files: {
    "flows/stubborn.py": stubbornFlow,
    "prefect.yaml": manifestYaml([{ name: "stubborn", entrypoint: "flows/stubborn.py:stubborn" }]),
  } });
  await git.createRepo("slow-flow", { fromDir: minimalWorkspace });
  await git.commit("slow-flow", { files: {
    "flows/sleepy.py": sleepyFlow,
    "prefect.yaml": manifestYaml([{ name: "sleepy", entrypoint: "flows/sleepy.py:sleepy" }]),
  } });
});

async function start(repo: string | undefined, pool: string, env: Record<string, string> = {}):
  Promise<EntrypointRun & { workerName: string }> {
  const flows = temporaryFolder("flows-");
  const workerName = `worker-${pool}`;
  const run = runEntrypoint({
    env: { PREFECT_API_URL: servers.prefect.apiUrl, FLOWS_DIR: flows.path, WORK_POOL_NAME: pool,
      WORKER_HEALTH_PORT: String(await freePort()),
      ...(repo ? { GITEA_REPO_URL: servers.git.repoUrl(repo), GITEA_USERNAME: gitUser,
        GITEA_PASSWORD: gitPassword } : {}),
      ...env },
    args: ["--name", workerName],
  });
  servers.cleanups.push(() => run.stop(), flows.remove);
  return Object.assign(run, { workerName });
}

/** Waits until one of the run's processes has a command line matching `command`. */
async function waitForChild(run: EntrypointRun, command: RegExp): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!processesMarked(run.marker).some((p) => command.test(p.command))) {
    if (Date.now() > deadline) throw new Error(`no process matching ${command} appeared`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A serving worker with one run of `deployment` under way, its process matching `running`. */
async function startWithFlowRun(repo: string, pool: string, deployment: string,
  running: RegExp): Promise<{ run: EntrypointRun; flowRun: { id: string } }> {
  const run = await start(repo, pool);
  await waitForOnlineWorker(servers.prefect.apiUrl, pool, run.workerName);
  const [stored] = await deploymentsNamed(servers.prefect.apiUrl, deployment);
  if (!stored) throw new Error(`the ${deployment} deployment was not registered`);
  const flowRun = await createFlowRun(servers.prefect.apiUrl, stored.id);
  await waitForChild(run, running);
  return { run, flowRun };
}

/** Sends `signal` and measures how long the entrypoint takes to exit. */
async function stopWith(run: EntrypointRun, signal: NodeJS.Signals) {
  const sent = run.kill(signal);
  const exit = await run.exit;
  return { ...exit, seconds: (Date.now() - sent) / 1000, left: processesMarked(run.marker) };
}

describe("stop signals", () => {
  it("SIGTERM during a stalled workspace sync stops git and exits 143 within 5 seconds",
    async () => {
      servers.git.setLatency(120_000);
      try {
        const run = await start("workspace", "sync-pool");
        await run.waitForLog((l) => l.phase === "workspace" && l.step === "start");
        await waitForChild(run, /^git (ls-remote|clone|fetch)/);

        const stopped = await stopWith(run, "SIGTERM");
        expect(stopped).toMatchObject({ code: 143, signal: null, left: [] });
        expect(stopped.seconds).toBeLessThan(5);
        expect(run.logs.at(-1)).toMatchObject({ exitStatus: 143 });
      } finally {
        servers.git.setLatency(0);
      }
    });

  it("SIGTERM during registration stops prefect deploy and exits 143 within 5 seconds",
    async () => {
      const run = await start("slow-deploy", "deploy-pool");
      await run.waitForLog((l) => l.phase === "registration" && l.step === "start");
      await waitForChild(run, /prefect --no-prompt deploy/);

      const stopped = await stopWith(run, "SIGTERM");
      expect(stopped).toMatchObject({ code: 143, signal: null, left: [] });
      expect(stopped.seconds).toBeLessThan(5);
      expect(run.logs.some((l) => l.phase === "worker")).toBe(false);
    });

  it("SIGINT while waiting for the Prefect API exits 130 at once", async () => {
    const run = runEntrypoint({ env: { PREFECT_API_URL: `http://127.0.0.1:${await freePort()}/api`,
      API_READY_TIMEOUT_SECONDS: "60" } });
    servers.cleanups.push(() => run.stop());
    await run.waitForLog((l) => l.phase === "api" && l.step === "start");

    const stopped = await stopWith(run, "SIGINT");
    expect(stopped).toMatchObject({ code: 130, signal: null, left: [] });
    expect(stopped.seconds).toBeLessThan(2);
  });

  it("SIGTERM while the worker runs is passed on; the entrypoint exits with the worker's 0",
    async () => {
      const run = await start("workspace", "worker-pool");
      await waitForOnlineWorker(servers.prefect.apiUrl, "worker-pool", run.workerName);

      const stopped = await stopWith(run, "SIGTERM");
      expect(stopped).toMatchObject({ code: 0, signal: null, left: [] });
      expect(stopped.seconds).toBeLessThan(5);
      expect(run.logs.find((l) => l.phase === "worker" && l.signal === "SIGTERM")?.msg)
        .toBe("received SIGTERM, passing it to the worker");
    });

  it("a second SIGTERM is not passed on, and no flow run outlives the entrypoint", async () => {
    const { run, flowRun } = await startWithFlowRun("slow-flow", "flow-run-pool", "sleepy",
      /prefect\.engine/);

    // A moment apart: the kernel merges a signal into one of the same kind still pending.
    run.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 200));
    const stopped = await stopWith(run, "SIGTERM");
    expect(stopped.left).toEqual([]);
    expect(stopped.seconds).toBeLessThan(15);
    const signals = run.logs.filter((l) => l.phase === "worker" && l.signal === "SIGTERM");
    expect(signals.map((l) => l.msg)).toEqual(["received SIGTERM, passing it to the worker",
      "received SIGTERM: already stopping; waiting for the worker to exit"]);
    // Prefect's worker ended the run without a word to the server; the entrypoint said it.
    const ended = await readFlowRun(servers.prefect.apiUrl, flowRun.id);
    expect(ended.state_type).toBe("CRASHED");
    expect(ended.state.message).toMatch(/^the worker was stopped by SIGTERM; .* Run it again\.$/);
  });

  it("a SIGTERM during the clean-up after the worker lets it finish and mark the run crashed",
    async () => {
      const { run, flowRun } = await startWithFlowRun("stubborn-flow", "stubborn-pool", "stubborn",
        /signal\.SIG_IGN/);

      run.kill("SIGTERM");
      // The worker is gone, but the helper that ignores SIGTERM holds the clean-up for a while.
      await run.waitForLog((l) => l.phase === "worker" && l.step === "clean-up", 15_000);
      const stopped = await stopWith(run, "SIGTERM");

      expect(stopped).toMatchObject({ code: 0, signal: null, left: [] });
      expect(run.logs.map((l) => l.msg)).toContain(
        "received SIGTERM while cleaning up after the worker; finishing that first");
      expect(await readFlowRun(servers.prefect.apiUrl, flowRun.id)).toMatchObject({
        state_type: "CRASHED" });
    });

  it("flow runs left behind by a killed worker are stopped before the entrypoint exits",
    async () => {
      const { run, flowRun } = await startWithFlowRun("slow-flow", "killed-worker-pool", "sleepy",
        /prefect\.engine/);

      // What Prefect's worker does to itself on a second stop signal.
      const worker = processesMarked(run.marker).find((p) => p.command.includes("worker start"));
      if (!worker) throw new Error("no prefect worker process found");
      process.kill(worker.pid, "SIGKILL");
      const exit = await run.exit;
      expect(exit).toMatchObject({ code: 137, signal: null });
      expect(processesMarked(run.marker)).toEqual([]);
      const stopped = run.logs.find((l) => l.phase === "worker" && l.step === "flow-runs");
      expect(stopped?.pids).toHaveLength(1);
      expect(await readFlowRun(servers.prefect.apiUrl, flowRun.id)).toMatchObject({
        state_type: "CRASHED", state: { message: expect.stringMatching(
          /^the worker exited by SIGKILL; /) } });
    });

  it("SIGHUP while the worker runs ends it by that signal, and the entrypoint exits 129",
    async () => {
      const run = await start(undefined, "hangup-pool");
      await waitForOnlineWorker(servers.prefect.apiUrl, "hangup-pool", run.workerName);

      const stopped = await stopWith(run, "SIGHUP");
      expect(stopped).toMatchObject({ code: 129, signal: null, left: [] });
      expect(stopped.seconds).toBeLessThan(5);
    });
});
