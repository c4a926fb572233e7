/**
 * The worker of the demo: the bundled entrypoint run with `node`, with the environment a container
 * of the worker image gets, its output relayed to the terminal and to a log file.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";

import { execa } from "execa";

import { relayLines } from "./demo-console.js";
import { bundlePath, venvDir } from "./paths.js";

export interface Worker {
  readonly logFile: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) when the entrypoint exits. */
  readonly exited: Promise<number | string>;
  readonly running: boolean;
  /** The exit code or signal once the entrypoint has exited. */
  readonly exitStatus: number | string | undefined;
  stop(): Promise<void>;
}

/** How long the entrypoint may take to stop its worker; Docker's default for `docker stop`. */
const stopGraceMs = 10_000;

/** The entrypoint contract's variables; the rest of the demo's environment passes through. */
export function workerEnv(contract: Record<string, string>, home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  // The user's own Prefect profile, git or storage settings must not leak into the worker.
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(PREFECT_|GITEA_|R2_|TLC_|AWS_)/.test(key)) env[key] = value;
  }
  return {
    ...env,
    // The image has prefect, and the tutorial's Python requirements, on PATH.
    PATH: `${path.join(venvDir, "bin")}${path.delimiter}${process.env.PATH ?? ""}`,
    VIRTUAL_ENV: venvDir,
    // The entrypoint writes credentials to ~/.netrc: a home of its own keeps the user's untouched.
    HOME: home,
    ...contract,
  };
}

/** Starts `node dist/entrypoint.mjs` in its own process group. */
export function startWorker(options: { env: NodeJS.ProcessEnv; cwd: string; logFile: string;
  quiet: boolean }): Worker {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.createWriteStream(options.logFile, { flags: "a" });
  const child = spawn(process.execPath, [bundlePath], {
    cwd: options.cwd,
    env: options.env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  relayLines(child.stdout, { prefix: "[worker]", log, quiet: options.quiet });
  relayLines(child.stderr, { prefix: "[worker]", log, quiet: options.quiet });
  const exited = once(child, "exit").then(([code, signal]) => (code ?? signal) as number | string);

  return {
    logFile: options.logFile,
    pid: child.pid ?? -1,
    exited,
    get running() { return child.exitCode === null && child.signalCode === null; },
    get exitStatus() { return child.exitCode ?? child.signalCode ?? undefined; },
    async stop() {
      if (child.pid === undefined || !this.running) {
        log.end();
        return;
      }
      // Prefect starts each flow run in a session of its own, out of reach of a group signal.
      const tree = await descendants(child.pid);
      // As `docker stop` does: SIGTERM to the entrypoint alone, SIGKILL after a grace period.
      signal(child.pid, "SIGTERM");
      const timer = setTimeout(() => signal(-child.pid!, "SIGKILL"), stopGraceMs);
      await exited;
      clearTimeout(timer);
      signal(-child.pid, "SIGKILL");
      for (const pid of tree) signal(pid, "SIGKILL");
      log.end();
    },
  };
}

/** Every process below `root`, read from `ps` (works on Linux and macOS). */
async function descendants(root: number): Promise<number[]> {
  const { stdout } = await execa("ps", ["-A", "-o", "pid=,ppid="], { reject: false });
  const children = new Map<number, number[]>();
  for (const line of stdout.split("\n")) {
    const [pid, ppid] = line.trim().split(/\s+/).map(Number);
    if (pid === undefined || ppid === undefined) continue;
    children.set(ppid, [...(children.get(ppid) ?? []), pid]);
  }
  const found: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const pid of children.get(queue.shift()!) ?? []) {
      found.push(pid);
      queue.push(pid);
    }
  }
  return found;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}
