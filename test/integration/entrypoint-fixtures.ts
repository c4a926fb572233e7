/**
 * Running the real entrypoint bundle as a child process against real Prefect and git servers,
 * and finding every process it left behind through a marker in the environment it hands down.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";

import { bundlePath, repoRoot, venvBin } from "../../stack/paths.js";

export const gitUser = "flow-bot";
/** Characters that URLs, JSON and .netrc each treat specially, so redaction is put to work. */
export const gitPassword = "Pa:ss@w%rd/Secret-42";
export const minimalWorkspace = path.join(repoRoot, "test", "fixtures", "minimal-workspace");

/** Builds dist/entrypoint.mjs exactly as `npm run build` does. */
export async function buildBundle(): Promise<void> {
  await execa("node", ["scripts/build.mjs"], { cwd: repoRoot });
}

export type LogLine = Record<string, unknown> & { msg?: string; phase?: string };

export interface EntrypointExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface EntrypointRun {
  /** Set in the entrypoint's environment, and so in that of every process it starts. */
  readonly marker: string;
  readonly home: string;
  readonly logs: LogLine[];
  stdout(): string;
  stderr(): string;
  waitForLog(match: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  readonly exit: Promise<EntrypointExit>;
  /** Sends a signal; returns the time it was sent. */
  kill(signal: NodeJS.Signals): number;
  /** Sends `signal` (SIGTERM) and waits for the exit; SIGKILL after 10 s. Cleans up nothing. */
  terminate(signal?: NodeJS.Signals): Promise<EntrypointExit>;
  /** Terminates, then kills anything it left behind and removes its HOME. */
  stop(): Promise<void>;
}

export interface RunOptions {
  env: Record<string, string>;
  args?: string[];
  /** Defaults to the bundle in dist/. */
  script?: string;
  cwd?: string;
}

/** Starts `node dist/entrypoint.mjs` with only the given environment (plus PATH and HOME). */
export function runEntrypoint(options: RunOptions): EntrypointRun {
  const marker = randomUUID();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "entrypoint-home-"));
  const child = spawn("node", [options.script ?? bundlePath, ...(options.args ?? [])], {
    cwd: options.cwd ?? os.tmpdir(),
    env: {
      PATH: `${path.dirname(venvBin("prefect"))}:${process.env.PATH ?? ""}`,
      HOME: home,
      ENTRYPOINT_TEST_RUN: marker,
      PREFECT_HOME: path.join(home, ".prefect"),
      ...options.env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let pending = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    pending += chunk.toString();
    const lines = pending.split("\n");
    pending = lines.pop() ?? "";
    for (const line of lines) logs.push(parseLine(line));
    for (const waiter of waiters) waiter();
  });
  child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  const exit = new Promise<EntrypointExit>((resolve) => {
    child.on("exit", (code, signal) => resolve({ code, signal }));
  });

  return {
    marker, home, logs, exit,
    stdout: () => stdout,
    stderr: () => stderr,
    waitForLog: (match, timeoutMs = 60_000) => new Promise((resolve, reject) => {
      const check = () => {
        const found = logs.find(match);
        if (!found) return false;
        done();
        resolve(found);
        return true;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${stdout}\n` +
          `stderr:\n${stderr}`));
      }, timeoutMs);
      const onExit = () => setTimeout(() => {
        if (check()) return;
        done();
        reject(new Error(`the entrypoint exited before the log line; output:\n${stdout}\n` +
          `stderr:\n${stderr}`));
      }, 50);
      const done = () => {
        clearTimeout(timer);
        waiters.delete(waiter);
        child.off("exit", onExit);
      };
      const waiter = () => { check(); };
      waiters.add(waiter);
      child.on("exit", onExit);
      if (child.exitCode !== null || child.signalCode !== null) onExit();
      check();
    }),
    kill: (signal) => {
      child.kill(signal);
      return Date.now();
    },
    async terminate(signal = "SIGTERM") {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exit;
        clearTimeout(timer);
      }
      return exit;
    },
    async stop() {
      await this.terminate();
      for (const leftover of processesMarked(marker)) {
        try {
          process.kill(leftover.pid, "SIGKILL");
        } catch {
          // Already gone.
        }
      }
      fs.rmSync(home, { recursive: true, force: true });
    },
  };
}

function parseLine(line: string): LogLine {
  try {
    return JSON.parse(line) as LogLine;
  } catch {
    return { raw: line };
  }
}

export interface MarkedProcess {
  pid: number;
  command: string;
}

/** Live (non-zombie) processes whose environment carries `marker`: the entrypoint's family. */
export function processesMarked(marker: string): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  const needle = `ENTRYPOINT_TEST_RUN=${marker}`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
      if (!environ.split("\0").includes(needle)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      found.push({ pid: Number(entry), command: command.trim() });
    } catch {
      // The process ended while it was being read.
    }
  }
  return found;
}

/** The command lines of all processes of a run, to check no secret is in any argument. */
export function commandLinesOf(marker: string): string {
  return processesMarked(marker).map((p) => p.command).join("\n");
}

/** A temporary folder removed by the returned function. */
export function temporaryFolder(prefix: string): { path: string; remove(): void } {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { path: folder, remove: () => fs.rmSync(folder, { recursive: true, force: true }) };
}

export interface ManifestEntry {
  name: string;
  entrypoint?: string;
  pool?: string;
}

/** A prefect.yaml like the minimal workspace's, with the given deployments. */
export function manifestYaml(deployments: ManifestEntry[]): string {
  const entries = deployments.map((d) => [
    `  - name: ${d.name}`,
    `    entrypoint: ${d.entrypoint ?? "flows/hello.py:hello"}`,
    "    schedules: []",
    ...(d.pool ? [`    work_pool: { name: ${d.pool} }`] : []),
  ].join("\n"));
  return fs.readFileSync(path.join(minimalWorkspace, "prefect.yaml"), "utf8")
    .replace(/^deployments:[\s\S]*$/m, `deployments:\n${entries.join("\n")}\n`);
}
