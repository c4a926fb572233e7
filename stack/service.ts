/** Long-running helper processes of the local stack: logged to a file, stopped as a group. */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import fs from "node:fs";
import path from "node:path";

export interface Service {
  readonly name: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  /** Stops the process and every process it started; resolves once it has exited. */
  stop(): Promise<void>;
}

export interface ServiceOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
}

/** Starts `command` in its own process group with stdout and stderr appended to a log file. */
export function startService(name: string, command: string, args: string[],
  options: ServiceOptions): Service {
  fs.mkdirSync(path.dirname(options.logFile), { recursive: true });
  const log = fs.openSync(options.logFile, "a");
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ["ignore", log, log],
    // Its own group, so stop() also reaches the grandchildren (uvicorn workers, git children).
    detached: true,
  });
  fs.closeSync(log);
  const exited = once(child, "exit").catch(() => undefined);

  return {
    name,
    logFile: options.logFile,
    child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      signalGroup(child, "SIGTERM");
      const timer = setTimeout(() => signalGroup(child, "SIGKILL"), 10_000);
      await exited;
      clearTimeout(timer);
      // The leader may exit before its children: make sure none outlive it.
      signalGroup(child, "SIGKILL");
    },
  };
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** The last lines of a service's log, for error messages that point at the cause. */
export function logTail(logFile: string, lines = 20): string {
  try {
    return fs.readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
  } catch {
    return "(no log written)";
  }
}

/** Polls `check` until it returns true, the service exits, or the time runs out. */
export async function waitUntil(service: Service, what: string, timeoutMs: number,
  check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (service.child.exitCode !== null || service.child.signalCode !== null) {
      throw new Error(`${service.name} exited before ${what}; its log (${service.logFile}) ends ` +
        `with:\n${logTail(service.logFile)}`);
    }
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await service.stop();
  throw new Error(`${service.name} did not get ${what} within ${timeoutMs / 1000} s; see ` +
    `${service.logFile}:\n${logTail(service.logFile)}`);
}
