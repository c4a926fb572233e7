/**
 * End to end: one `npm run demo` on the real TLC files, checked through its summary, the bucket,
 * the Prefect UI in a browser, and its shutdown on Ctrl-C. One demo serves every test here, in
 * order, because a stack takes a while to start on a small machine.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { DemoSummary } from "../../stack/demo-report.js";
import { repoRoot } from "../../stack/paths.js";
import { freePort } from "../../stack/ports.js";
import { tlcDir, tlcMissing } from "../tlc-data.js";
import { leftoverProcesses, processesOf, startDemo, stopDemo, tail, waitForFile, type DemoProcess }
  from "./demo-process.js";
import { chromiumPath, readDeploymentRow } from "./deployments-page.js";
import { tripsPerMonth } from "./trip-counts.js";

const resultsDir = path.join(repoRoot, "test-results");
const deploymentName = "nyc-green-taxi-pipeline";
const objectPrefix = "nexus-tutorials/NYC/";

describe.skipIf(tlcMissing)("npm run demo", () => {
  let demo: DemoProcess;
  let summary: DemoSummary;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "demo-e2e-"));
  const summaryFile = path.join(work, "summary.json");
  const stateDir = path.join(work, "state");

  beforeAll(async () => {
    const port = await freePort();
    demo = startDemo(["--port", String(port), "--tlc-dir", tlcDir, "--summary-file", summaryFile,
      "--state-dir", stateDir], path.join(resultsDir, "demo-output.log"));
    summary = JSON.parse(await waitForFile(demo, summaryFile, 900_000)) as DemoSummary;
    console.log(`demo: stack ready after ${summary.timings.stackReadySeconds.toFixed(1)} s, ` +
      `run took ${summary.timings.runSeconds.toFixed(1)} s; output in ${demo.outputFile}`);
  }, 960_000);

  afterAll(async () => {
    if (demo) await stopDemo(demo);
    fs.rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it("completes one run of the tutorial deployment with the TLC files served locally", () => {
    expect(summary.state, `the run ended ${summary.state}: ${summary.stateMessage}\n` +
      tail(demo.output())).toBe("COMPLETED");
    expect(summary.deploymentName).toBe(deploymentName);
    expect(summary.flowRunUrl).toBe(`${summary.uiUrl}/runs/flow-run/${summary.flowRunId}`);
    expect(demo.output()).toContain(`flow run ${summary.flowRunName} is Completed`);
  });

  it("leaves January and February in the bucket under nexus-tutorials/NYC/", () => {
    const keys = summary.objects.map((o) => o.key);
    expect(keys).toContain(`${objectPrefix}green_tripdata_2025-01.parquet`);
    expect(keys).toContain(`${objectPrefix}green_tripdata_2025-02.parquet`);
    for (const name of ["green_tripdata_2025-01.parquet", "green_tripdata_2025-02.parquet"]) {
      const stored = summary.objects.find((o) => o.key === `${objectPrefix}${name}`);
      expect(stored?.size, name).toBe(fs.statSync(path.join(tlcDir, name)).size);
    }
  });

  it("reports 94,947 trips in total and each month's count as DuckDB counts them", async () => {
    const expected = await tripsPerMonth(tlcDir);
    expect(summary.statistics?.totalTrips).toBe(94_947);
    expect(summary.statistics?.tripsPerMonth).toEqual({
      "2025-01": expected["2025-01"], "2025-02": expected["2025-02"],
    });
    expect(demo.output()).toMatch(/trips in total\s+94,947/);
  });

  it("shows the deployment with its tags and no schedule on the UI's Deployments page",
    async (context) => {
      if (!fs.existsSync(chromiumPath)) {
        const hint = `${chromiumPath} is missing; install it with: apt-get install -y chromium`;
        if (process.env.CI) throw new Error(hint);
        context.skip(`browser test skipped: ${hint}`);
      }
      const screenshot = path.join(resultsDir, "deployments.png");
      const row = await readDeploymentRow(summary.uiUrl, deploymentName, screenshot);
      console.log(`screenshot of the Deployments page: ${screenshot}`);

      expect([...row.shownTags, ...row.foldedTags].sort())
        .toEqual(["data-engineering", "nexus-stack-seed", "nexus-tutorials"]);
      expect(row.schedules).toBe("");
      expect(row.status).toBe("Ready");
    });

  it("refuses a second demo on the state folder of the running one", async () => {
    const second = startDemo(["--port", String(await freePort()), "--state-dir", stateDir],
      path.join(resultsDir, "demo-second.log"));
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`another demo (process ${demo.child.pid}) is using`);
    expect(fs.existsSync(path.join(stateDir, "flows")), "the running demo's checkout").toBe(true);
  }, 60_000);

  it("stops every process it started and exits 0 on Ctrl-C", async () => {
    expect(processesOf(demo).length).toBeGreaterThan(1);
    const sent = Date.now();
    demo.child.kill("SIGINT");
    const code = await Promise.race([demo.exited,
      new Promise((resolve) => setTimeout(() => resolve("still running"), 15_000))]);

    expect(code, tail(demo.output())).toBe(0);
    console.log(`demo stopped ${((Date.now() - sent) / 1000).toFixed(1)} s after SIGINT`);
    expect(await leftoverProcesses(demo)).toEqual([]);
  }, 30_000);
});
