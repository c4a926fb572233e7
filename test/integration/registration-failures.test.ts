/**
 * Broken deployments beside good ones: each deployment is registered on its own, so a broken
 * one is named with its reason and the rest of the workspace still gets served.
 */
import { dirname } from "node:path";

import { describe, expect, it } from "vitest";

import { freePort } from "../../stack/ports.js";
import {
  gitPassword, gitUser, manifestYaml, minimalWorkspace, processesMarked,
  runEntrypoint, temporaryFolder, type EntrypointRun, type LogLine,
} from "./entrypoint-fixtures.js";
import { deploymentsNamed, waitForOnlineWorker } from "./prefect-queries.js";
import { useTestServers } from "./test-servers.js";

const servers = useTestServers(async (git) => {
  await git.createRepo("mixed", { fromDir: minimalWorkspace });
  await git.commit("mixed", { files: {
    "flows/broken.py": "from prefect import flow\n\n@flow\ndef oops(:\n    pass\n",
    "prefect.yaml": manifestYaml([{ name: "good" },
      { name: "missing-file", entrypoint: "flows/nope.py:hello" },
      { name: "syntax-error", entrypoint: "flows/broken.py:oops" }, { name: "bad%name" }]),
  } });
});

async function start(repo: string, pool: string, env: Record<string, string> = {}):
  Promise<EntrypointRun & { workerName: string }> {
  const flows = temporaryFolder("flows-");
  const workerName = `worker-${pool}`;
  const run = runEntrypoint({
    env: { PREFECT_API_URL: servers.prefect.apiUrl, GITEA_REPO_URL: servers.git.repoUrl(repo),
      GITEA_USERNAME: gitUser, GITEA_PASSWORD: gitPassword, FLOWS_DIR: flows.path,
      WORK_POOL_NAME: pool, WORKER_HEALTH_PORT: String(await freePort()), ...env },
    args: ["--name", workerName],
  });
  servers.cleanups.push(() => run.stop(), flows.remove);
  return Object.assign(run, { workerName });
}

const isServing = (line: LogLine) => line.phase === "worker" && Array.isArray(line.deployments);
const outcomes = (run: EntrypointRun) => Object.fromEntries(run.logs
  .filter((l) => l.phase === "registration" && l.deployment !== undefined && l.outcome)
  .map((l) => [l.deployment, { outcome: l.outcome, reason: l.reason }]));

describe("registration with broken deployments", () => {
  it("registers the good deployment, names the broken ones with their reasons and starts the " +
    "worker", async () => {
    const run = await start("mixed", "mixed-pool");
    const serving = await run.waitForLog(isServing);
    await waitForOnlineWorker(servers.prefect.apiUrl, "mixed-pool", run.workerName);

    expect(outcomes(run)).toEqual({
      "good": { outcome: "registered", reason: undefined },
      "missing-file": { outcome: "failed", reason: expect.stringMatching(
        /^prefect deploy exited with 1: flows\/nope\.py: FileNotFoundError: .*nope\.py/) },
      "syntax-error": { outcome: "failed", reason:
        "prefect deploy exited with 1: flows/broken.py: SyntaxError: invalid syntax" },
      "bad%name": { outcome: "failed", reason: expect.stringMatching(new RegExp(
        "^prefect deploy exited with 1: .*validation error for DeploymentCreate: name: " +
        "String should match pattern")) },
    });
    expect(run.logs.find((l) => l.phase === "registration" && l.step === undefined &&
      l.deployment === undefined)).toMatchObject({ outcome: "partial", registered: 1, failed: 3 });
    expect(serving).toMatchObject({ deployments: ["good"],
      failedDeployments: ["missing-file", "syntax-error", "bad%name"] });
    expect(await deploymentsNamed(servers.prefect.apiUrl, "missing-file")).toEqual([]);
    expect(await run.terminate()).toEqual({ code: 0, signal: null });
  });

  it("exits 65 without starting the worker when REGISTRATION_STRICT=true and one fails",
    async () => {
      const run = await start("mixed", "strict-pool", { REGISTRATION_STRICT: "true" });
      expect(await run.exit).toEqual({ code: 65, signal: null });
      // The first test may have registered it already: a deployment is its flow and its name.
      expect(outcomes(run).good?.outcome).toMatch(/^(registered|updated)$/);
      expect(run.logs.some((l) => l.phase === "worker")).toBe(false);
      expect(run.logs.at(-1)?.msg).toMatch(/REGISTRATION_STRICT=true/);
      expect(processesMarked(run.marker)).toEqual([]);
    });

  it("exits 69 naming prefect when it is not installed, strict or not, and starts nothing",
    async () => {
      // git and node stay reachable; the project's Python environment with prefect does not.
      const path = [dirname(process.execPath), "/usr/bin", "/bin"].join(":");
      for (const strict of ["false", "true"]) {
        const run = await start("mixed", `no-prefect-${strict}-pool`,
          { PATH: path, REGISTRATION_STRICT: strict });
        const exit = await run.exit;
        expect(exit, run.stdout()).toEqual({ code: 69, signal: null });
        expect(run.logs.at(-1)?.msg)
          .toMatch(/prefect could not be started .*installed and on PATH/);
        expect(run.logs.some((l) => l.phase === "worker")).toBe(false);
      }
    });

  it("fails every deployment of an unparsable or missing manifest and registers the others",
    async () => {
      await servers.git.createRepo("manifests", { fromDir: minimalWorkspace });
      await servers.git.commit("manifests", { files: {
        "prefect.yaml": manifestYaml([{ name: "from-root" }]),
        "team/prefect.yaml": "deployments:\n  - name: lost-one\n    entrypoint: [oops\n" +
          "  - name: lost-two\n",
      } });
      const run = await start("manifests", "manifests-pool",
        { PREFECT_MANIFESTS: "prefect.yaml,team/prefect.yaml,gone/prefect.yaml" });
      await run.waitForLog(isServing);

      const results = outcomes(run);
      expect(results["from-root"]?.outcome).toBe("registered");
      for (const name of ["lost-one", "lost-two"]) {
        expect(results[name]).toEqual({ outcome: "failed",
          reason: expect.stringMatching(/^team\/prefect\.yaml is not valid YAML: .*line \d+/) });
      }
      expect(results["*"]).toEqual({ outcome: "failed",
        reason: "gone/prefect.yaml does not exist in the checkout (PREFECT_MANIFESTS)" });
    });

  it("registers entries that share a name for different flows; reports those Prefect merges",
    async () => {
      await servers.git.createRepo("shared-names", { fromDir: minimalWorkspace });
      await servers.git.commit("shared-names", { files: {
        "flows/bye.py": "from prefect import flow\n\n\n@flow\ndef bye() -> None:\n    pass\n",
        // A second function whose flow carries the first one's name: one deployment in Prefect.
        "flows/again.py": "from prefect import flow\n\n\n@flow(name=\"hello\")\n" +
          "def hello_again() -> None:\n    pass\n",
        "prefect.yaml": manifestYaml([{ name: "nightly" },
          { name: "nightly", entrypoint: "flows/bye.py:bye" },
          { name: "twice" }, { name: "twice" }, { name: '"--all"' },
          { name: "same-flow-name" },
          { name: "same-flow-name", entrypoint: "flows/again.py:hello_again" }]),
      } });
      const run = await start("shared-names", "shared-names-pool");
      await run.waitForLog(isServing);

      const results = outcomes(run);
      expect(results["hello/nightly"]?.outcome).toBe("registered");
      expect(results["bye/nightly"]?.outcome).toBe("registered");
      expect(results["hello/twice"]).toEqual({ outcome: "failed", reason: "2 entries of " +
        "prefect.yaml are named twice with a flow function called hello, which prefect deploy " +
        "--name cannot tell apart: give each its own name" });
      expect(results["--all"]?.outcome).toBe("registered");
      expect(results["same-flow-name"]).toBeUndefined();
      for (const label of ["hello/same-flow-name", "hello_again/same-flow-name"]) {
        expect(results[label]).toEqual({ outcome: "failed", reason: expect.stringMatching(
          /^hello\/same-flow-name and hello_again\/same-flow-name became one deployment \(id /) });
      }
      const stored = await deploymentsNamed(servers.prefect.apiUrl, "nightly");
      expect(stored.map((d) => d.work_pool_name)).toEqual(["shared-names-pool",
        "shared-names-pool"]);
      expect(await deploymentsNamed(servers.prefect.apiUrl, "twice")).toEqual([]);
    });

  it("stops a prefect deploy that outlives DEPLOY_TIMEOUT_SECONDS and reports it", async () => {
    await servers.git.createRepo("slow", { fromDir: minimalWorkspace });
    await servers.git.commit("slow", { files: {
      "flows/slow.py": "import time\n\ntime.sleep(300)\n",
      "prefect.yaml": manifestYaml([{ name: "slow-import", entrypoint: "flows/slow.py:hello" },
        { name: "quick" }]),
    } });
    const run = await start("slow", "slow-pool", { DEPLOY_TIMEOUT_SECONDS: "4" });
    await run.waitForLog(isServing);

    const results = outcomes(run);
    expect(results["slow-import"]).toEqual({ outcome: "failed", reason: "prefect deploy did " +
      "not finish within 4 s (DEPLOY_TIMEOUT_SECONDS) and was stopped" });
    expect(results.quick?.outcome).toBe("registered");
    expect(processesMarked(run.marker).map((p) => p.command).join("\n")).not.toContain("deploy");
  });
});
