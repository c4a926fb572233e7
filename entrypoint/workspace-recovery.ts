/**
 * Fresh clones that never leave the checkout half-written: git clones into a sibling folder
 * under the same parent (same filesystem, so rename is atomic), and only the complete clone is
 * swapped in; the old folder is set aside before the swap and deleted after it.
 */
import fs from "node:fs/promises";
import path from "node:path";

import type { SyncContext } from "./workspace-context.js";
import { WorkspaceError } from "./workspace-error.js";

/** Sibling folders of a sync are named after the checkout, e.g. `.workspace.sync-x1`. */
function holderPrefix(checkoutDir: string): string {
  return `.${path.basename(checkoutDir)}.sync-`;
}

/** Clones `branch` and puts it in place of whatever is at the checkout path; returns the commit. */
export async function cloneFresh(ctx: SyncContext, branch: string): Promise<string> {
  const dir = ctx.checkoutDir;
  const parent = path.dirname(path.resolve(dir));
  await fs.mkdir(parent, { recursive: true });

  // A volume mounted on the checkout itself cannot be renamed; an empty one is cloned into.
  if (await isMountPoint(dir)) {
    if ((await fs.readdir(dir)).length > 0) throw mountPointError(ctx);
    return cloneInto(ctx, branch, dir);
  }

  // TODO: two workers that share one FLOWS_DIR and start at the same moment would remove each
  // other's sibling folders; a lock file in the parent would make that safe.
  const holder = await fs.mkdtemp(path.join(parent, holderPrefix(dir)));
  try {
    const incoming = path.join(holder, "incoming");
    const commit = await cloneInto(ctx, branch, incoming);
    await swap(ctx, incoming, path.join(holder, "previous"));
    return commit;
  } finally {
    await fs.rm(holder, { recursive: true, force: true });
  }
}

async function cloneInto(ctx: SyncContext, branch: string, target: string): Promise<string> {
  await ctx.remote("clone", async () => {
    await emptyFolder(target);
    await ctx.git(["clone", `--branch=${branch}`, "--", ctx.repoUrl, target],
      path.dirname(target));
  });
  return (await ctx.git(["rev-parse", "HEAD"], target)).stdout.trim();
}

/** Moves the old checkout aside, the new one in, and the old one back if that fails. */
async function swap(ctx: SyncContext, incoming: string, previous: string): Promise<void> {
  const dir = ctx.checkoutDir;
  let setAside = false;
  try {
    await fs.rename(dir, previous);
    setAside = true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EBUSY" || code === "EXDEV") throw mountPointError(ctx, error);
    if (code !== "ENOENT") throw filesystemError(ctx, "move the old checkout aside", error);
  }
  try {
    await fs.rename(incoming, dir);
  } catch (error) {
    if (setAside) await fs.rename(previous, dir);
    throw filesystemError(ctx, "move the new clone into place", error);
  }
}

/**
 * Finishes what an interrupted sync left in the parent folder: a checkout set aside but not
 * replaced is put back, and every leftover sibling folder is removed.
 */
export async function cleanUpInterruptedSync(ctx: SyncContext): Promise<void> {
  const dir = path.resolve(ctx.checkoutDir);
  const parent = path.dirname(dir);
  const entries = await fs.readdir(parent).catch(() => [] as string[]);
  for (const entry of entries.filter((name) => name.startsWith(holderPrefix(dir)))) {
    const holder = path.join(parent, entry);
    const previous = path.join(holder, "previous");
    if (!(await exists(dir)) && (await exists(previous))) {
      await fs.rename(previous, dir);
      ctx.log.warn({ step: "cleanup", holder },
        "put back the checkout an interrupted sync had set aside");
    }
    await fs.rm(holder, { recursive: true, force: true });
    ctx.log.info({ step: "cleanup", holder }, "removed a folder left by an interrupted sync");
  }
}

async function emptyFolder(folder: string): Promise<void> {
  await fs.mkdir(folder, { recursive: true });
  for (const entry of await fs.readdir(folder)) {
    await fs.rm(path.join(folder, entry), { recursive: true, force: true });
  }
}

async function isMountPoint(dir: string): Promise<boolean> {
  const [own, parent] = await Promise.all([fs.stat(dir), fs.stat(path.dirname(dir))])
    .catch(() => [undefined, undefined]);
  return own !== undefined && parent !== undefined && own.isDirectory() && own.dev !== parent.dev;
}

async function exists(file: string): Promise<boolean> {
  return fs.lstat(file).then(() => true, () => false);
}

function mountPointError(ctx: SyncContext, cause?: unknown): WorkspaceError {
  return new WorkspaceError(`cannot replace the checkout ${ctx.checkoutDir} of ${ctx.shownUrl}: ` +
    "it is a mount point and not empty; mount its parent folder (FLOWS_DIR) instead, or empty " +
    "the volume", { failure: "filesystem", cause });
}

function filesystemError(ctx: SyncContext, what: string, cause: unknown): WorkspaceError {
  const reason = (cause as NodeJS.ErrnoException).code ?? String(cause);
  return new WorkspaceError(`cannot ${what} at ${ctx.checkoutDir} (${reason}) while syncing ` +
    `${ctx.shownUrl}; check that its parent folder is writable by uid ` +
    `${process.getuid?.() ?? "unknown"}`, { failure: "filesystem", cause });
}
