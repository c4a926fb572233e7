/**
 * When the remote cannot be used: a usable checkout is kept ("stale") so the worker can still
 * register and serve what it has; without one the phase reports "unavailable", except for
 * problems only an operator can fix (wrong credentials, wrong URL), which are errors.
 */
import { GitCommandError } from "./git.js";
import { isAbortError } from "./retry.js";
import type { CheckoutState } from "./workspace-checkout.js";
import { describe, type SyncContext } from "./workspace-context.js";
import { WorkspaceError } from "./workspace-error.js";
import type { WorkspaceResult } from "./workspace.js";

export function remoteFailure(ctx: SyncContext, state: CheckoutState, error: unknown):
  WorkspaceResult {
  if (isAbortError(error) || !(error instanceof GitCommandError)) throw error;
  const usable = state.kind === "usable";
  const commit = usable ? state.commit : undefined;
  const branch = usable ? state.branch : undefined;
  const kept = `keeping the existing checkout${commit ? ` at ${commit.slice(0, 12)}` : ""}, ` +
    "which may be out of date";

  if (error.failure === "auth" || error.failure === "not-found") {
    const message = error.failure === "auth"
      ? `authentication failed for ${ctx.shownUrl}: check GITEA_USERNAME / GITEA_PASSWORD`
      : `no repository at ${ctx.shownUrl}: check GITEA_REPO_URL and that GITEA_USERNAME may ` +
        "read the repository";
    if (!usable) throw new WorkspaceError(message, { failure: error.failure, cause: error });
    ctx.log.error({ step: "remote", outcome: "stale", failure: error.failure, commit },
      `${message}; ${kept}`);
    return { outcome: "stale", checkoutDir: ctx.checkoutDir, branch, commit, detail: message };
  }

  if (error.failure === "network" || error.failure === "timeout") {
    const message = `cannot reach ${ctx.shownUrl}: ${error.reason}`;
    if (usable) {
      ctx.log.warn({ step: "remote", outcome: "stale", commit }, `${message}; ${kept}`);
      return { outcome: "stale", checkoutDir: ctx.checkoutDir, branch, commit, detail: message };
    }
    ctx.log.warn({ step: "remote", outcome: "unavailable" }, `${message}; there is no usable ` +
      "checkout yet, so no deployment can be registered until the server is reachable");
    return { outcome: "unavailable", checkoutDir: ctx.checkoutDir, detail: message };
  }

  throw new WorkspaceError(`git could not read ${ctx.shownUrl}: ${describe(error, ctx.secrets)}`,
    { failure: "git", cause: error });
}
