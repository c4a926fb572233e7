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
  const parent = path.dirname(dir);

  // A volume mounted on the checkout itself cannot be renamed; an empty one is cloned into.
  if (await isMountPoint(dir)) {
    // TODO: a damaged checkout on its own volume cannot be swapped atomically, so it is reported
    // instead of replaced; replacing it entry by entry would lift that limit.
    if ((await fs.readdir(dir)).length > 0) throw mountPointError(ctx);
    return cloneInto(ctx, branch, dir);
  }

  // TODO: two workers that share one FLOWS_DIR and start at the same moment would remove each
  // other's sibling folders; a lock file in the parent would make that safe.
  const holder = await fs.mkdir(parent, { recursive: true })
    .then(() => fs.mkdtemp(path.join(parent, holderPrefix(dir))))
    .catch((error: unknown) => {
      throw filesystemError(ctx, "create a folder for the clone next to", error);
    });
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
    if (code !== "ENOENT") throw filesystemError(ctx, "move aside the old checkout", error);
  }
  try {
    await fs.rename(incoming, dir);
  } catch (error) {
    if (setAside) await fs.rename(previous, dir);
    throw filesystemError(ctx, "move the new clone to", error);
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

/** A different device than the parent's, or (for bind mounts) listed in the mount table. */
async function isMountPoint(dir: string): Promise<boolean> {
  const [own, parent] = await Promise.all([fs.stat(dir), fs.stat(path.dirname(dir))])
    .catch(() => [undefined, undefined]);
  if (own === undefined || parent === undefined || !own.isDirectory()) return false;
  if (own.dev !== parent.dev) return true;
  const table = await fs.readFile("/proc/self/mountinfo", "utf8").catch(() => "");
  const real = await fs.realpath(dir);
  // Field 5 is the mount point, with spaces and other special characters written as \ooo.
  return table.split("\n").some((line) => {
    const mountPoint = line.split(" ")[4];
    return mountPoint !== undefined
      && mountPoint.replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(Number.parseInt(octal, 8))) === real;
  });
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
  return new WorkspaceError(`cannot ${what} ${ctx.checkoutDir} (${reason}) while syncing ` +
    `${ctx.shownUrl}; check that its parent folder is writable by uid ` +
    `${process.getuid?.() ?? "unknown"}`, { failure: "filesystem", cause });
}
