/** `npm run demo -- --exit-after-run`, and the demo's answers to a command line it cannot run. */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

import { afterAll, afterEach, describe, expect, it } from "vitest";

import type { DemoSummary } from "../../stack/demo-report.js";
import { repoRoot } from "../../stack/paths.js";
import { freePort } from "../../stack/ports.js";
import { tlcDir, tlcMissing } from "../tlc-data.js";
import { leftoverProcesses, pressCtrlC, startDemo, stopDemo, tail, type DemoProcess }
  from "./demo-process.js";

const resultsDir = path.join(repoRoot, "test-results");

describe("npm run demo -- --exit-after-run", () => {
  const started: DemoProcess[] = [];
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "demo-exit-"));
  const run = (args: string[], name: string) => {
    const demo = startDemo([...args, "--state-dir", path.join(work, name)],
      path.join(resultsDir, `demo-${name}.log`));
    started.push(demo);
    return demo;
  };

  afterEach(async () => {
    for (const demo of started.splice(0)) await stopDemo(demo);
  }, 60_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  it.skipIf(tlcMissing)("stops the whole stack after a completed run and exits 0", async () => {
    const summaryFile = path.join(work, "summary.json");
    const demo = run(["--port", String(await freePort()), "--tlc-dir", tlcDir, "--quiet",
      "--exit-after-run", "--summary-file", summaryFile], "exit-after-run");

    expect(await demo.exited, tail(demo.output())).toBe(0);
    const summary = JSON.parse(fs.readFileSync(summaryFile, "utf8")) as DemoSummary;
    expect(summary.state).toBe("COMPLETED");
    expect(demo.output()).toContain("stopped the Prefect server");
    expect(demo.output()).not.toContain("[worker]");
    expect(await leftoverProcesses(demo)).toEqual([]);
  }, 600_000);

  it.skipIf(tlcMissing)("exits 1 and prints the end of the run's log when the flow run fails",
    async () => {
      // Only January at the source: the flow fails when it checks that February is published.
      const januaryOnly = fs.mkdtempSync(path.join(work, "january-"));
      fs.symlinkSync(path.join(tlcDir, "green_tripdata_2025-01.parquet"),
        path.join(januaryOnly, "green_tripdata_2025-01.parquet"));
      const demo = run(["--port", String(await freePort()), "--tlc-dir", januaryOnly, "--quiet",
        "--exit-after-run"], "failed-run");

      expect(await demo.exited, tail(demo.output())).toBe(1);
      expect(demo.output()).toMatch(/flow run \S+ ended FAILED: .*green_tripdata_2025-02/);
      expect(demo.output()).toMatch(/ERROR .*green_tripdata_2025-02\.parquet/);
      expect(await leftoverProcesses(demo)).toEqual([]);
    }, 600_000);

  it("refuses a busy UI port, naming the port and the option to change it", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const demo = run(["--port", String(port), "--exit-after-run"], "busy-port");
      expect(await demo.exited).toBe(1);
      expect(demo.output()).toContain(`FAILED in the Prefect server: port ${port} on 127.0.0.1 ` +
        "is already in use");
      expect(demo.output()).toContain("--port");
    } finally {
      blocker.close();
    }
  }, 120_000);

  it("Ctrl-C while the Prefect server starts leaves nothing running and starts nothing more",
    async () => {
      const demo = run(["--port", String(await freePort())], "interrupted-start");
      const deadline = Date.now() + 60_000;
      while (!demo.output().includes("starting the Prefect server")) {
        if (Date.now() > deadline) throw new Error(`Prefect never started:\n${demo.output()}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }

      pressCtrlC(demo);
      expect(await demo.exited).toBe(0);
      expect(demo.output()).toContain("SIGINT received: stopping the stack");
      for (const later of ["git server ready", "S3-compatible server ready", "worker started"]) {
        expect(demo.output()).not.toContain(later);
      }
      expect(await leftoverProcesses(demo)).toEqual([]);
    }, 120_000);

  it("refuses a --tlc-dir without TLC files before starting anything", async () => {
    const empty = fs.mkdtempSync(path.join(work, "empty-"));
    const demo = run(["--port", String(await freePort()), "--tlc-dir", empty], "empty-tlc");
    expect(await demo.exited).toBe(1);
    expect(demo.output()).toContain(`FAILED in the TLC file server: --tlc-dir ${empty} holds no`);
    expect(demo.output()).not.toContain("starting the Prefect server");
  }, 120_000);

  it("lists its options with --help and rejects unknown ones with status 2", async () => {
    const help = run(["--help"], "help");
    expect(await help.exited).toBe(0);
    for (const option of ["--port", "--database-url", "--tlc-dir", "--exit-after-run",
      "--summary-file", "--state-dir", "--run-timeout", "--quiet"]) {
      expect(help.output()).toContain(option);
    }
    const unknown = run(["--colour"], "unknown-option");
    expect(await unknown.exited).toBe(2);
    expect(unknown.output()).toContain("Unknown option '--colour'");
  }, 60_000);
});
