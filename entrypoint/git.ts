/**
 * Running git for the workspace phase. execa rather than simple-git: git hands HTTP to a helper
 * process (git-remote-http) and packs to index-pack, and only killing git's whole process group
 * stops all of them on abort or timeout; simple-git signals the direct child only.
 */
import { execa } from "execa";

import { redactText } from "./redact.js";
import { abortError } from "./retry.js";

/** How a git command failed, as far as the workspace phase has to tell the cases apart. */
export type GitFailure = "auth" | "not-found" | "network" | "timeout" | "local";

export class GitCommandError extends Error {
  override name = "GitCommandError";
  constructor(readonly failure: GitFailure, readonly command: string,
    readonly exitCode: number | undefined, readonly stderr: string, message: string) {
    super(message);
  }

  /** git's own explanation, short: its last line of output, or what stopped it. */
  get reason(): string {
    const last = this.stderr.split("\n").filter((line) => line.trim() !== "").at(-1);
    return last?.replace(/^(fatal|error): /, "") ?? this.message;
  }
}

export interface GitRunner {
  (args: string[], cwd: string, options?: { allowExitCodes?: number[] }): Promise<GitOutput>;
}

export interface GitOutput {
  stdout: string;
  exitCode: number;
}

export interface GitRunnerOptions {
  env: NodeJS.ProcessEnv;
  timeoutMs: number;
  signal: AbortSignal;
  secrets: string[];
}

/** Grace between SIGTERM (git removes its half-written files) and SIGKILL. */
const killGraceMs = 1500;

/** A git runner bound to one environment, timeout, abort signal and set of secrets. */
export function gitRunner(options: GitRunnerOptions): GitRunner {
  return async (args, cwd, { allowExitCodes = [] } = {}) => {
    if (options.signal.aborted) throw abortError();
    const command = redactText(`git ${args.join(" ")}`, options.secrets);
    const child = execa("git", args, {
      cwd, env: options.env, extendEnv: false, stdin: "ignore", reject: false,
      detached: true, encoding: "utf8",
    });

    let stopped: "aborted" | "timed out" | undefined;
    const stop = (why: "aborted" | "timed out") => {
      stopped ??= why;
      signalGroup(child.pid, "SIGTERM");
      setTimeout(() => signalGroup(child.pid, "SIGKILL"), killGraceMs).unref();
    };
    const onAbort = () => stop("aborted");
    options.signal.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(() => stop("timed out"), options.timeoutMs);

    const result = await child;
    clearTimeout(timer);
    options.signal.removeEventListener("abort", onAbort);
    // The leader can exit before its helpers; none of them may outlive a stopped command.
    if (stopped) signalGroup(child.pid, "SIGKILL");

    if (stopped === "aborted") throw abortError();
    // Classified before masking: a short password must not hide git's "could not read Username".
    const rawStderr = String(result.stderr ?? "");
    const stderr = redactText(rawStderr, options.secrets).trim();
    if (stopped === "timed out") {
      throw new GitCommandError("timeout", command, undefined, stderr,
        `${command} did not finish within ${options.timeoutMs / 1000} s`);
    }
    const exitCode = result.exitCode;
    if (exitCode === undefined) {
      throw new GitCommandError("local", command, undefined, stderr,
        `could not run ${command}: ${redactText(result.shortMessage ?? "", options.secrets)}; ` +
        "is git installed and on PATH?");
    }
    if (exitCode !== 0 && !allowExitCodes.includes(exitCode)) {
      const failure = classify(rawStderr);
      throw new GitCommandError(failure, command, exitCode, stderr,
        `${command} failed with exit code ${exitCode}: ${lastLines(stderr)}`);
    }
    return { stdout: String(result.stdout ?? ""), exitCode };
  };
}

const patterns: [GitFailure, RegExp][] = [
  ["auth", /authentication failed|could not read (username|password)|terminal prompts disabled/i],
  ["auth", /\b(error|HTTP):? 40[13]\b/i],
  ["not-found", /repository .* not found|\b(error|HTTP):? 404\b/i],
  ["network", /could not resolve (host|proxy)|failed to connect|couldn't connect/i],
  ["network", /no route to host/i],
  ["network", /connection (refused|reset|timed out)|operation timed out|network is unreachable/i],
  ["network", /empty reply|recv failure|send failure|rpc failed|early eof|unexpected disconnect/i],
  ["network", /remote end hung up|transfer closed|\b(error|HTTP):? 5\d\d\b|\b(gnutls|ssl|tls)\b/i],
];

/** git's messages are matched in the C locale, which `gitEnvironment` sets. */
function classify(stderr: string): GitFailure {
  return patterns.find(([, pattern]) => pattern.test(stderr))?.[0] ?? "local";
}

function lastLines(stderr: string): string {
  const lines = stderr.split("\n").filter((line) => line.trim() !== "");
  return lines.slice(-3).join(" | ") || "(no output)";
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group has already exited.
  }
}
