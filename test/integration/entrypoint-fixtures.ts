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
import { processesMarked } from "./process-family.js";

export { commandLinesOf, processesMarked } from "./process-family.js";

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
  let pending = "";
  let exited: EntrypointExit | undefined;
  const logs: LogLine[] = [];
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop() ?? "";
    logs.push(...lines.map(parseLine));
  });
  child.stderr.on("data", (chunk: Buffer) => { stderr += chunk.toString(); });
  // "close" rather than "exit": by then everything the process wrote has been read.
  const exit = new Promise<EntrypointExit>((resolve) => {
    child.on("close", (code, signal) => resolve(exited = { code, signal }));
  });
  const output = () => `stdout:\n${stdout}\nstderr:\n${stderr}`;

  return {
    marker, home, logs, exit,
    stdout: () => stdout,
    stderr: () => stderr,
    async waitForLog(match, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = logs.find(match);
        if (found) return found;
        if (exited) throw new Error(`the entrypoint exited before the log line; ${output()}`);
        if (Date.now() > deadline) {
          throw new Error(`no matching log line within ${timeoutMs} ms; ${output()}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
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
