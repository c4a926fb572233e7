/** `npm run demo` as a child process of a test, and the processes it leaves behind. */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";

import { repoRoot } from "../../stack/paths.js";

export interface DemoProcess {
  readonly child: ChildProcess;
  /** Everything the demo printed, for assertions and for failure messages. */
  readonly outputFile: string;
  /** Every process started by this demo carries this value in its environment. */
  readonly marker: string;
  output(): string;
  /** Resolves with the exit code, or the signal's name. */
  readonly exited: Promise<number | string>;
}

const markerVariable = "NEXUS_DEMO_TEST_RUN";

/**
 * Starts the demo as `npm run demo` does after its bootstrap (the test command already ran that),
 * without a terminal, its output going to `outputFile`.
 */
export function startDemo(args: string[], outputFile: string): DemoProcess {
  const marker = randomUUID();
  fs.mkdirSync(path.dirname(outputFile), { recursive: true });
  const out = fs.openSync(outputFile, "w");
  const child = spawn(process.execPath, ["--import", "tsx", "stack/demo.ts", ...args], {
    cwd: repoRoot,
    // The marker is inherited by the servers, the worker and the flow runs: a process holding it
    // after the demo has exited is one the demo failed to stop.
    env: { ...process.env, [markerVariable]: marker },
    stdio: ["ignore", out, out],
    // Its own process group, as a shell gives a job: Ctrl-C in a terminal reaches the whole
    // group (see `pressCtrlC`).
    detached: true,
  });
  fs.closeSync(out);
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);
  return { child, outputFile, marker, exited, output: () => fs.readFileSync(outputFile, "utf8") };
}

/** Polls for a file the demo writes, failing early (with its output) if the demo exits first. */
export async function waitForFile(demo: DemoProcess, file: string, timeoutMs: number):
  Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (fs.existsSync(file)) return fs.readFileSync(file, "utf8");
    if (demo.child.exitCode !== null || demo.child.signalCode !== null) {
      throw new Error(`the demo exited (${demo.child.exitCode ?? demo.child.signalCode}) before ` +
        `writing ${file}; its output ends with:\n${tail(demo.output())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`the demo did not write ${file} within ${timeoutMs / 1000} s; its output ` +
    `ends with:\n${tail(demo.output())}`);
}

/** Processes still running with the demo's marker in their environment (Linux /proc). */
export function processesOf(demo: DemoProcess): { pid: number; command: string }[] {
  const found: { pid: number; command: string }[] = [];
  const needle = `${markerVariable}=${demo.marker}`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8").split("\0");
      if (!environ.includes(needle)) continue;
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      // A zombie has no environment left to read, so whatever is listed here still runs.
      found.push({ pid: Number(entry), command: command.trim() });
    } catch {
      // The process ended while being read.
    }
  }
  return found;
}

/** Waits briefly for processes killed a moment ago to vanish; returns those still running. */
export async function leftoverProcesses(demo: DemoProcess): Promise<{ pid: number;
  command: string }[]> {
  // SIGKILL takes effect when the kernel next schedules the process, not at once.
  for (let attempt = 0; attempt < 10; attempt += 1) {
    if (processesOf(demo).length === 0) return [];
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return processesOf(demo);
}

/** What Ctrl-C in a terminal does: SIGINT to every process of the demo's process group. */
export function pressCtrlC(demo: DemoProcess): void {
  process.kill(-demo.child.pid!, "SIGINT");
}

/** Last resort after a failed test: interrupt the demo, then kill whatever it left. */
export async function stopDemo(demo: DemoProcess): Promise<void> {
  if (demo.child.exitCode === null && demo.child.signalCode === null) {
    demo.child.kill("SIGINT");
    await Promise.race([demo.exited, new Promise((resolve) => setTimeout(resolve, 20_000))]);
  }
  for (const { pid } of processesOf(demo)) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}

export function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
