/**
 * What a container start costs on top of the tools it drives, as ratios measured in one process.
 *
 * Baseline: the steps an operator would script by hand for the tutorial workspace — `git fetch`
 * and `git reset --hard` of an existing checkout, then `prefect --no-prompt deploy --all`.
 * Measured: the entrypoint bundle on the same checkout, from spawn to its "serving" line (the
 * worker is then stopped). Both run against the same real Prefect and git servers, alternating,
 * so machine load affects both alike. Memory compares the entrypoint's peak resident set with
 * that of a bare `node` process doing nothing.
 *
 *   node --import tsx bench/startup.ts        (BENCH_ROUNDS=5 for more rounds)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";

import { startGitServer } from "../stack/git-server.js";
import { freePort } from "../stack/ports.js";
import { seedWorkspaceDir, venvBin } from "../stack/paths.js";
import { startPrefectServer } from "../stack/prefect-server.js";
import { processesMarked, runEntrypoint } from "../test/integration/entrypoint-fixtures.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const user = "bench";
const password = "bench-password";

const prefect = await startPrefectServer();
const git = await startGitServer({ username: user, password });
await git.createRepo("workspace", { fromDir: seedWorkspaceDir });
const repoUrl = git.repoUrl("workspace");
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "bench-startup-"));
const flowsDir = path.join(scratch, "flows");
const env = {
  PREFECT_API_URL: prefect.apiUrl, GITEA_REPO_URL: repoUrl, GITEA_USERNAME: user,
  GITEA_PASSWORD: password, FLOWS_DIR: flowsDir, WORKER_HEALTH_PORT: String(await freePort()),
};

try {
  // The first start clones and creates the pool; both sides then measure restarts.
  await entrypointStart();
  const baseline: number[] = [];
  const measured: number[] = [];
  const peaks: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    baseline.push(await manualStart());
    const start = await entrypointStart();
    measured.push(start.ms);
    peaks.push(start.peakKiB);
  }
  const idleNodeKiB = await peakOf(["-e", "setTimeout(() => {}, 300)"]);

  const b = median(baseline);
  const m = median(measured);
  console.log(`restart, median of ${rounds}: manual git+prefect deploy ${b} ms, ` +
    `entrypoint ${m} ms → ratio ${(m / b).toFixed(2)}`);
  console.log(`peak RSS: entrypoint ${median(peaks)} KiB, idle node ${idleNodeKiB} KiB → ratio ` +
    `${(median(peaks) / idleNodeKiB).toFixed(2)}`);
} finally {
  await Promise.all([prefect.stop(), git.stop()]);
  fs.rmSync(scratch, { recursive: true, force: true });
}

/** The hand-written equivalent of a restart, with the same checkout and credentials. */
async function manualStart(): Promise<number> {
  const checkout = path.join(flowsDir, "workspace");
  const home = fs.mkdtempSync(path.join(scratch, "home-"));
  fs.writeFileSync(path.join(home, ".netrc"),
    `machine 127.0.0.1\nlogin ${user}\npassword ${password}\n`, { mode: 0o600 });
  const options = {
    cwd: checkout,
    env: {
      ...process.env, HOME: home, GIT_TERMINAL_PROMPT: "0", PREFECT_API_URL: prefect.apiUrl,
      WORKSPACE_REPO_URL: repoUrl, WORKSPACE_BRANCH: "main", PYTHONDONTWRITEBYTECODE: "1",
    },
  };
  const started = performance.now();
  await execa("git", ["fetch", "--quiet", "origin", "main"], options);
  await execa("git", ["reset", "--quiet", "--hard", "FETCH_HEAD"], options);
  await execa(venvBin("prefect"), ["--no-prompt", "deploy", "--all"], options);
  return Math.round(performance.now() - started);
}

/** Spawn to the "serving" line; the peak RSS of the entrypoint's own node process. */
async function entrypointStart(): Promise<{ ms: number; peakKiB: number }> {
  const started = performance.now();
  const run = runEntrypoint({ env });
  try {
    await run.waitForLog((line) => String(line.msg ?? "").startsWith("serving"), 120_000);
    const ms = Math.round(performance.now() - started);
    const node = processesMarked(run.marker).find((p) => p.command.includes("entrypoint.mjs"));
    return { ms, peakKiB: node ? highWaterMark(node.pid) : Number.NaN };
  } finally {
    await run.stop();
  }
}

async function peakOf(args: string[]): Promise<number> {
  const child = spawn("node", args, { stdio: "ignore" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const peak = highWaterMark(child.pid ?? 0);
  await new Promise((resolve) => child.on("exit", resolve));
  return peak;
}

function highWaterMark(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
