/** The existing checkout: what state it is in, and moving it to exactly the remote branch. */
import fs from "node:fs/promises";

import { GitCommandError } from "./git.js";
import { redactUrl } from "./redact.js";
import type { SyncContext } from "./workspace-context.js";

export type CheckoutState =
  | { kind: "absent" }
  | { kind: "empty" }
  /** Not usable as it is: not a git checkout, damaged, or a checkout of another repository. */
  | { kind: "replace"; reason: string }
  | { kind: "usable"; commit?: string; branch?: string };

/** Looks at the checkout folder without changing anything except credentials in its origin URL. */
export async function inspectCheckout(ctx: SyncContext): Promise<CheckoutState> {
  const dir = ctx.checkoutDir;
  const stat = await fs.lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === "ENOENT") return undefined;
    throw error;
  });
  if (stat === undefined) return { kind: "absent" };
  if (!stat.isDirectory()) return { kind: "replace", reason: "it is not a folder" };
  const entries = await fs.readdir(dir);
  if (entries.length === 0) return { kind: "empty" };
  if (!entries.includes(".git")) return { kind: "replace", reason: "it is not a git checkout" };

  try {
    await ctx.git(["rev-parse", "--is-inside-work-tree"], dir);
    const origin = await ctx.git(["config", "--get", "remote.origin.url"], dir,
      { allowExitCodes: [1] });
    const originUrl = origin.stdout.trim();
    if (originUrl === "") return { kind: "replace", reason: "it has no origin remote" };
    if (repositoryKey(originUrl) !== repositoryKey(ctx.repoUrl)) {
      return { kind: "replace", reason: `it is a checkout of ${redactUrl(originUrl)}` };
    }
    if (redactUrl(originUrl) !== originUrl) {
      await ctx.git(["remote", "set-url", "origin", ctx.repoUrl], dir);
      ctx.log.warn({ step: "inspect" },
        "removed credentials stored in the origin URL of .git/config; git now reads ~/.netrc");
    }

    const head = await ctx.git(["rev-parse", "-q", "--verify", "HEAD"], dir,
      { allowExitCodes: [1] });
    const commit = head.stdout.trim() || undefined;
    // An unborn HEAD (a clone of a then empty repository) is fine; a HEAD whose commit or tree
    // is missing from the object store is damage that fetch would not repair.
    if (commit !== undefined) {
      const tree = await ctx.git(["cat-file", "-e", `${commit}^{tree}`], dir,
        { allowExitCodes: [1, 128] });
      if (tree.exitCode !== 0) {
        return { kind: "replace", reason: `it is a damaged git checkout (the objects of its HEAD ` +
          `commit ${commit.slice(0, 12)} are missing)` };
      }
    }
    const symbolic = await ctx.git(["symbolic-ref", "-q", "--short", "HEAD"], dir,
      { allowExitCodes: [1] });
    return { kind: "usable", commit, branch: symbolic.stdout.trim() || undefined };
  } catch (error) {
    if (!(error instanceof GitCommandError)) throw error;
    const why = error.stderr.split("\n")[0] || error.message;
    return { kind: "replace", reason: `it is a damaged git checkout (${why})` };
  }
}

export interface Update {
  commit: string;
  /** Tracked files changed and untracked files added locally, all discarded. */
  discardedFiles: number;
  /** The previous commit is not an ancestor of the new one on the same branch. */
  forcePushed: boolean;
}

/** Fetches `branch` and makes the checkout exactly that commit, discarding local changes. */
export async function updateCheckout(ctx: SyncContext, state: { commit?: string; branch?: string },
  branch: string): Promise<Update> {
  const dir = ctx.checkoutDir;
  const status = await ctx.git(["status", "--porcelain", "--untracked-files=all"], dir);
  const discardedFiles = status.stdout.split("\n").filter((line) => line.trim() !== "").length;

  const tracking = `refs/remotes/origin/${branch}`;
  // The leading + accepts a force-pushed branch instead of refusing the non-fast-forward.
  await ctx.remote("fetch", () =>
    ctx.git(["fetch", "origin", `+refs/heads/${branch}:${tracking}`], dir));
  const commit = (await ctx.git(["rev-parse", "--verify", `${tracking}^{commit}`], dir))
    .stdout.trim();

  let forcePushed = false;
  if (state.commit !== undefined && state.commit !== commit && state.branch === branch) {
    const ancestry = await ctx.git(["merge-base", "--is-ancestor", state.commit, commit], dir,
      { allowExitCodes: [1] });
    forcePushed = ancestry.exitCode === 1;
  }

  // checkout --force -B = reset --hard onto the branch, also when another branch was checked out.
  await ctx.git(["checkout", "--force", "-B", branch, tracking], dir);
  await ctx.git(["clean", "-ffdx"], dir);
  return { commit, discardedFiles, forcePushed };
}

/** Two URLs name the same repository if they differ only in credentials, case of the host,
 * a trailing slash or the `.git` suffix. */
export function repositoryKey(url: string): string {
  try {
    const parsed = new URL(url);
    const pathname = parsed.pathname.replace(/\/+$/, "").replace(/\.git$/, "");
    return `${parsed.protocol}//${parsed.host.toLowerCase()}${pathname}`;
  } catch {
    return url.replace(/\/+$/, "").replace(/\.git$/, "");
  }
}
