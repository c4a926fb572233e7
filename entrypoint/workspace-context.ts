/** What every step of the workspace phase shares: git, logging, retries, the folder and URL. */
import path from "node:path";

import type { Logger } from "pino";

import { gitEnvironment } from "./git-environment.js";
import { GitCommandError, gitRunner, type GitRunner } from "./git.js";
import { redactText, redactUrl } from "./redact.js";
import { withRetries } from "./retry.js";
import type { WorkspaceOptions } from "./workspace.js";

export interface SyncContext {
  /** The URL git is given; it never holds credentials. */
  readonly repoUrl: string;
  /** The URL as it may appear in logs and errors. */
  readonly shownUrl: string;
  readonly checkoutDir: string;
  readonly log: Logger;
  readonly git: GitRunner;
  readonly signal: AbortSignal;
  readonly secrets: string[];
  /** Runs git commands that talk to the remote, retrying network failures and timeouts. */
  remote<T>(step: string, run: () => Promise<T>): Promise<T>;
}

export function syncContext(options: WorkspaceOptions, log: Logger): SyncContext {
  const git = gitRunner({
    env: gitEnvironment(options.env, options.checkoutDir),
    timeoutMs: options.timeoutMs,
    signal: options.signal,
    secrets: options.secrets,
  });
  return {
    repoUrl: options.repoUrl,
    shownUrl: redactUrl(options.repoUrl),
    checkoutDir: path.resolve(options.checkoutDir),
    log,
    git,
    signal: options.signal,
    secrets: options.secrets,
    remote: (step, run) => withRetries(run, {
      retries: options.retries,
      signal: options.signal,
      isTransient: (error) => error instanceof GitCommandError
        && (error.failure === "network" || error.failure === "timeout"),
      onRetry: (error, retry, delayMs) => log.warn(
        { step, retry, retries: options.retries, retryInMs: delayMs,
          error: describe(error, options.secrets) },
        `${step} failed, retrying in ${delayMs / 1000} s (retry ${retry} of ${options.retries})`),
    }),
  };
}

/** An error's message, safe to log. */
export function describe(error: unknown, secrets: readonly string[]): string {
  const message = error instanceof Error ? error.message : String(error);
  return redactText(message, secrets);
}
