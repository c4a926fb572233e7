/** What the workspace repository offers: its branches and the branch its HEAD points to. */
import os from "node:os";

import type { GitRunner } from "./git.js";
import { WorkspaceError } from "./workspace-error.js";

export interface RemoteInfo {
  /** The branch the remote's HEAD points to; undefined when HEAD points nowhere. */
  defaultBranch?: string;
  branches: string[];
}

/** Lists the remote's branches with one `git ls-remote` (no checkout needed). */
export async function readRemote(git: GitRunner, repoUrl: string): Promise<RemoteInfo> {
  // Run outside the checkout: it may be the broken folder this phase is about to repair.
  const { stdout } = await git(["ls-remote", "--symref", "--", repoUrl], os.tmpdir());
  const info: RemoteInfo = { branches: [] };
  for (const line of stdout.split("\n")) {
    const [left, ref] = line.split("\t");
    if (left === undefined || ref === undefined) continue;
    if (left.startsWith("ref: ") && ref === "HEAD") {
      info.defaultBranch = left.slice("ref: refs/heads/".length);
    } else if (ref.startsWith("refs/heads/")) {
      info.branches.push(ref.slice("refs/heads/".length));
    }
  }
  if (info.defaultBranch !== undefined && !info.branches.includes(info.defaultBranch)) {
    info.defaultBranch = undefined;
  }
  return info;
}

/** The branch to check out: the requested one, or the remote's default; it must exist. */
export function chooseBranch(remote: RemoteInfo, requested: string | undefined,
  shownUrl: string): string {
  const known = remote.branches.join(", ");
  const branch = requested ?? remote.defaultBranch;
  if (branch === undefined) {
    throw new WorkspaceError(`${shownUrl} has no default branch (its HEAD names no existing ` +
      `branch); set GIT_BRANCH to one of: ${known}`, { failure: "branch" });
  }
  if (!remote.branches.includes(branch) || branch.startsWith("-")) {
    throw new WorkspaceError(`branch "${branch}" does not exist in ${shownUrl}; its ` +
      `branches are: ${known}. Set GIT_BRANCH to one of them, or leave it unset to follow the ` +
      `default branch${remote.defaultBranch ? ` (${remote.defaultBranch})` : ""}`,
    { failure: "branch" });
  }
  return branch;
}
