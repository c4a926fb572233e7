/**
 * The workspace phase: the team's workspace repository cloned, or updated to exactly the remote
 * branch, in the checkout folder, recovering from whatever state a previous container left there.
 */
import type { Logger } from "pino";

import { GitCommandError } from "./git.js";
import { redactUrl } from "./redact.js";
import { isAbortError } from "./retry.js";
import { inspectCheckout, updateCheckout, type CheckoutState } from "./workspace-checkout.js";
import { describe, syncContext, type SyncContext } from "./workspace-context.js";
import { WorkspaceError } from "./workspace-error.js";
import { cleanUpInterruptedSync, cloneFresh } from "./workspace-recovery.js";
import { chooseBranch, readRemote, type RemoteInfo } from "./workspace-remote.js";
import { remoteFailure } from "./workspace-unreachable.js";

export { WorkspaceError, type WorkspaceFailure } from "./workspace-error.js";

export interface WorkspaceOptions {
  /** http(s) URL WITHOUT credentials. */
  repoUrl: string;
  /** e.g. /flows/workspace */
  checkoutDir: string;
  /** undefined = the remote's default branch (HEAD), never a hard-coded main. */
  branch?: string;
  /** Per git operation. */
  timeoutMs: number;
  /** Further attempts after a transient failure (network, 5xx), with exponential backoff. */
  retries: number;
  /** Includes HOME (with .netrc) and GIT_TERMINAL_PROMPT=0. */
  env: NodeJS.ProcessEnv;
  log: Logger;
  /** Abort = kill the running git child and reject promptly. */
  signal: AbortSignal;
  /** Redacted from any git output that reaches logs or errors. */
  secrets: string[];
}

export type WorkspaceOutcome =
  "cloned" | "updated" | "unchanged" | "recovered" | "stale" | "unavailable" | "empty";

export interface WorkspaceResult {
  outcome: WorkspaceOutcome;
  checkoutDir: string;
  branch?: string;
  commit?: string;
  detail?: string;
}

/**
 * Converges the checkout to the remote branch. Resolves with the outcome, including the degraded
 * ones (stale, unavailable, empty); rejects with a WorkspaceError for what an operator has to fix
 * (credentials without a usable checkout, a missing branch or repository, an unwritable folder)
 * and with an AbortError when the signal is aborted.
 */
export async function syncWorkspace(opts: WorkspaceOptions): Promise<WorkspaceResult> {
  const started = Date.now();
  const log = opts.log.child({ phase: "workspace", repo: redactUrl(opts.repoUrl),
    checkoutDir: opts.checkoutDir });
  if (redactUrl(opts.repoUrl) !== opts.repoUrl) {
    throw new WorkspaceError(`the repository URL ${redactUrl(opts.repoUrl)} contains ` +
      "credentials; remove them from GITEA_REPO_URL and set GITEA_USERNAME / GITEA_PASSWORD " +
      "instead", { failure: "config" });
  }
  const ctx = syncContext(opts, log);
  log.info({ step: "start", branch: opts.branch ?? "(remote default)" }, "syncing the workspace");

  try {
    const result = await converge(ctx, opts.branch);
    const durationMs = Date.now() - started;
    const level = ["stale", "unavailable", "empty"].includes(result.outcome) ? "warn" : "info";
    log[level]({ step: "done", outcome: result.outcome, branch: result.branch,
      commit: result.commit, detail: result.detail, durationMs },
      `workspace ${result.outcome}${result.commit ? ` at ${result.commit.slice(0, 12)}` : ""}`);
    return result;
  } catch (error) {
    const durationMs = Date.now() - started;
    if (isAbortError(error)) {
      log.warn({ step: "done", outcome: "aborted", durationMs }, "workspace sync aborted");
      throw error;
    }
    const failure = error instanceof WorkspaceError ? error : new WorkspaceError(
      `syncing ${ctx.shownUrl} into ${opts.checkoutDir} failed: ${describe(error, opts.secrets)}`,
      { failure: error instanceof GitCommandError ? "git" : "filesystem", cause: error });
    log.error({ step: "done", outcome: "failed", failure: failure.failure, durationMs },
      failure.message);
    throw failure;
  }
}

async function converge(ctx: SyncContext, requested: string | undefined):
  Promise<WorkspaceResult> {
  await cleanUpInterruptedSync(ctx);
  const state = await inspectCheckout(ctx);

  let remote: RemoteInfo;
  const probeStarted = Date.now();
  try {
    remote = await ctx.remote("ls-remote", () => readRemote(ctx.git, ctx.repoUrl));
  } catch (error) {
    return remoteFailure(ctx, state, error);
  }
  ctx.log.info({ step: "ls-remote", durationMs: Date.now() - probeStarted,
    defaultBranch: remote.defaultBranch, branches: remote.branches.length },
  "the workspace repository answered");

  const dir = ctx.checkoutDir;
  if (remote.branches.length === 0) {
    ctx.log.warn({ step: "ls-remote", outcome: "empty" },
      `${ctx.shownUrl} has no commits yet: nothing to register until something is pushed`);
    return { outcome: "empty", checkoutDir: dir, branch: requested };
  }
  const branch = chooseBranch(remote, requested, ctx.shownUrl);

  try {
    if (state.kind === "absent" || state.kind === "empty") {
      const commit = await timed(ctx, "clone", () => cloneFresh(ctx, branch));
      return { outcome: "cloned", checkoutDir: dir, branch, commit };
    }
    if (state.kind === "replace") return await recover(ctx, branch, state.reason);
    return await update(ctx, state, branch);
  } catch (error) {
    // The remote can go away between the check above and the clone or fetch.
    if (error instanceof GitCommandError && error.failure !== "local") {
      return remoteFailure(ctx, state, error);
    }
    throw error;
  }
}

async function update(ctx: SyncContext, state: Extract<CheckoutState, { kind: "usable" }>,
  branch: string): Promise<WorkspaceResult> {
  const dir = ctx.checkoutDir;
  let result;
  try {
    result = await timed(ctx, "update", () => updateCheckout(ctx, state, branch));
  } catch (error) {
    if (!(error instanceof GitCommandError) || error.failure !== "local") throw error;
    return recover(ctx, branch, `git failed in it (${error.stderr || error.message})`);
  }

  const discarded = result.discardedFiles > 0
    ? `discarded local changes to ${files(result.discardedFiles)} in the checkout` : undefined;
  if (discarded) ctx.log.warn({ step: "update", discardedFiles: result.discardedFiles }, discarded);
  const { commit } = result;
  if (result.forcePushed) {
    const detail = `branch ${branch} was force-pushed; reset from ${state.commit} to ${commit}`;
    ctx.log.warn({ step: "update", previousCommit: state.commit, commit }, detail);
    return { outcome: "recovered", checkoutDir: dir, branch, commit, detail };
  }
  const same = commit === state.commit && branch === state.branch;
  const detail = discarded;
  return { outcome: same ? "unchanged" : "updated", checkoutDir: dir, branch, commit, detail };
}

async function recover(ctx: SyncContext, branch: string, reason: string):
  Promise<WorkspaceResult> {
  ctx.log.warn({ step: "recover", reason },
    `replacing the checkout with a fresh clone of ${branch}: ${reason}`);
  const commit = await timed(ctx, "clone", () => cloneFresh(ctx, branch));
  return { outcome: "recovered", checkoutDir: ctx.checkoutDir, branch, commit,
    detail: `replaced the checkout with a fresh clone: ${reason}` };
}

async function timed<T>(ctx: SyncContext, step: string, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  const value = await run();
  ctx.log.info({ step, durationMs: Date.now() - started }, `${step} finished`);
  return value;
}

function files(count: number): string {
  return count === 1 ? "1 file" : `${count} files`;
}
