/**
 * The failures that end the entrypoint, and the exit status each one leaves for the container's
 * restart policy and for whoever reads `docker ps`. The numbers follow BSD's sysexits.h so that
 * a status means the same here as in other daemons:
 *
 * | status  | meaning                                                                       |
 * |---------|-------------------------------------------------------------------------------|
 * | 0..255  | the worker's own exit status, passed through once it ran                      |
 * | 65      | EX_DATAERR: a deployment failed to register and REGISTRATION_STRICT=true      |
 * | 69      | EX_UNAVAILABLE: the Prefect API never became ready or failed; prefect is      |
 * |         | missing; git failed for a reason other than the ones below                    |
 * | 70      | EX_SOFTWARE: an unexpected error in the entrypoint itself                     |
 * | 73      | EX_CANTCREAT: the checkout or ~/.netrc cannot be written                      |
 * | 77      | EX_NOPERM: the Prefect API or the git server refused the credentials          |
 * | 78      | EX_CONFIG: the environment is invalid (nothing was started), the repository   |
 * |         | or GIT_BRANCH does not exist, or a credential cannot be written to ~/.netrc   |
 * | 128 + n | stopped by signal n (SIGTERM: 143) before the worker ran, or the worker died  |
 * |         | of it                                                                         |
 */
import os from "node:os";

import { NetrcError } from "./credentials.js";
import { WorkspaceError, type WorkspaceFailure } from "./workspace.js";

export const ExitStatus = {
  registrationFailed: 65,
  unavailable: 69,
  software: 70,
  cannotCreate: 73,
  permissionDenied: 77,
  config: 78,
} as const;

/** A failure the operator can act on: message says what failed with the key facts and a hint. */
export class EntrypointError extends Error {
  override name = "EntrypointError";
  readonly exitStatus: number;

  constructor(message: string, options: { exitStatus: number; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.exitStatus = options.exitStatus;
  }
}

/** One invalid environment variable and what to change. */
export interface ConfigProblem {
  variable: string;
  problem: string;
}

/** Every configuration problem found, reported together before anything starts. */
export class ConfigError extends EntrypointError {
  override name = "ConfigError";
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    super(`the configuration has ${count}; nothing was started: ` +
      problems.map((p) => `${p.variable} ${p.problem}`).join("; "),
    { exitStatus: ExitStatus.config });
    this.problems = problems;
  }

  /** The multi-line text for stderr, one problem per line. */
  explain(): string {
    const lines = this.problems.map((p) => `  - ${p.variable}: ${p.problem}`);
    return `Invalid configuration (${this.problems.length}); nothing was started:\n` +
      `${lines.join("\n")}\n`;
  }
}

/** The Prefect API answered with an error or not at all. */
export class PrefectApiError extends EntrypointError {
  override name = "PrefectApiError";
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number; cause?: unknown }) {
    const refused = options.status === 401 || options.status === 403;
    super(message, {
      exitStatus: refused ? ExitStatus.permissionDenied : ExitStatus.unavailable,
      cause: options.cause,
    });
    this.status = options.status;
  }
}

/** A stop signal arrived; the entrypoint exits with 128 + the signal's number. */
export class StoppedBySignal extends EntrypointError {
  override name = "StoppedBySignal";
  readonly signal: NodeJS.Signals;

  constructor(signal: NodeJS.Signals, during: string) {
    super(`stopped by ${signal} during ${during}`, { exitStatus: signalExitStatus(signal) });
    this.signal = signal;
  }
}

/** The shell convention for a process that ended because of a signal. */
export function signalExitStatus(signal: NodeJS.Signals): number {
  return 128 + (os.constants.signals[signal] ?? 0);
}

/** An error's message with its chain of causes, for a single log field. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  while (current !== undefined && parts.length < 4) {
    parts.push(current instanceof Error ? current.message : String(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  return parts.join(": caused by: ");
}

/** The exit status for any error that ends the entrypoint (see the table above). */
export function exitStatusFor(error: unknown): number {
  if (error instanceof EntrypointError) return error.exitStatus;
  if (error instanceof WorkspaceError) return workspaceStatus[error.failure];
  // A NetrcError with a cause failed to read or write the file; without, the value cannot be
  // written so that git reads it back (an empty or over-long credential): a configuration fault.
  if (error instanceof NetrcError) {
    return error.cause === undefined ? ExitStatus.config : ExitStatus.cannotCreate;
  }
  return ExitStatus.software;
}

const workspaceStatus: Record<WorkspaceFailure, number> = {
  "auth": ExitStatus.permissionDenied,
  "not-found": ExitStatus.config,
  "branch": ExitStatus.config,
  "config": ExitStatus.config,
  "filesystem": ExitStatus.cannotCreate,
  "git": ExitStatus.unavailable,
};
