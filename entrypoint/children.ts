/**
 * Child processes (prefect deploy, prefect worker) started in their own process group and
 * tracked until that whole group is gone. `prefect` starts Python subprocesses of its own (flow
 * runs, git for pull steps); signalling only the direct child would leave those behind.
 *
 * The own group also keeps a group-wide signal (`tini -g`, Ctrl-C in a terminal) from reaching
 * the worker twice, directly and forwarded: Prefect's worker takes a second SIGTERM or SIGINT
 * as the order to kill itself and its flow runs at once.
 */
import { createInterface } from "node:readline";

import { execa } from "execa";

/** Process groups that may still hold a process of ours. */
const liveGroups = new Set<number>();

export interface ChildOptions {
  cwd?: string;
  env: NodeJS.ProcessEnv;
  /** Stop the child (its whole group) after this long. */
  timeoutMs?: number;
  /** Stop the child (its whole group) when this is aborted. */
  signal?: AbortSignal;
  /** Each line of stdout and stderr; without it both are inherited from the entrypoint. */
  onLine?: (line: string, stream: "stdout" | "stderr") => void;
  /** Called right after the process exists, with its pid. */
  onStart?: (pid: number) => void;
  /** Time between SIGTERM and SIGKILL when the child is stopped. */
  graceMs?: number;
}

export interface ChildExit {
  exitCode?: number;
  /** The signal the child died of, if it did. */
  signal?: NodeJS.Signals;
  timedOut: boolean;
  /** Stopped because `options.signal` was aborted. */
  stopped: boolean;
  /** Why the program could not be started at all (e.g. not on PATH). */
  startError?: string;
  durationMs: number;
}

/** Runs `command` to its end; never rejects: the outcome is in the result. */
export async function runChild(command: string, args: string[], options: ChildOptions):
  Promise<ChildExit> {
  const started = Date.now();
  const output = options.onLine ? "pipe" : "inherit";
  // detached: its own process group, so that signalGroup reaches the grandchildren as well.
  const child = execa(command, args, {
    cwd: options.cwd, env: options.env, extendEnv: false, detached: true, cleanup: false,
    stdin: "ignore", stdout: output, stderr: output, buffer: false, reject: false,
  });
  const pid = child.pid;
  if (pid !== undefined) {
    liveGroups.add(pid);
    options.onStart?.(pid);
  }
  if (options.onLine && child.stdout && child.stderr) {
    const onLine = options.onLine;
    createInterface({ input: child.stdout }).on("line", (line) => onLine(line, "stdout"));
    createInterface({ input: child.stderr }).on("line", (line) => onLine(line, "stderr"));
  }

  let reason: "timedOut" | "stopped" | undefined;
  const stop = (why: "timedOut" | "stopped") => {
    reason ??= why;
    if (pid === undefined) return;
    signalGroup(pid, "SIGTERM");
    setTimeout(() => signalGroup(pid, "SIGKILL"), options.graceMs ?? 2000).unref();
  };
  const onAbort = () => stop("stopped");
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  const timer = options.timeoutMs === undefined
    ? undefined : setTimeout(() => stop("timedOut"), options.timeoutMs);

  const result = await child;
  clearTimeout(timer);
  options.signal?.removeEventListener("abort", onAbort);
  if (pid !== undefined) await reapGroup(pid, options.graceMs ?? 2000);

  return {
    exitCode: result.exitCode,
    signal: result.signal as NodeJS.Signals | undefined,
    timedOut: reason === "timedOut",
    stopped: reason === "stopped",
    startError: pid === undefined || (result.exitCode === undefined && !result.signal)
      ? startFailure(result) : undefined,
    durationMs: Date.now() - started,
  };
}

/** The operating system's reason, e.g. "spawn prefect ENOENT", without execa's wrapping. */
function startFailure(result: { shortMessage?: string; originalMessage?: string }): string {
  return result.originalMessage || result.shortMessage?.split("\n").at(-1) || "unknown reason";
}

/**
 * The leader of a group can exit before the rest of it (a flow run outliving its worker, git's
 * HTTP helper outliving git): whatever is left gets SIGTERM, then SIGKILL after `graceMs`.
 */
async function reapGroup(pid: number, graceMs: number): Promise<void> {
  if (signalGroup(pid, "SIGTERM")) {
    const deadline = Date.now() + graceMs;
    while (groupExists(pid) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    signalGroup(pid, "SIGKILL");
  }
  liveGroups.delete(pid);
}

/** Last resort on the way out: nothing we started may outlive the entrypoint. */
export function killAllGroups(): void {
  for (const pid of liveGroups) signalGroup(pid, "SIGKILL");
  liveGroups.clear();
}

/** Sends `signal` to every process in the group led by `pid`; false when none is left. */
function signalGroup(pid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false;
  }
}

function groupExists(pid: number): boolean {
  return signalGroup(pid, 0);
}
