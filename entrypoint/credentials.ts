/**
 * The credentials phase: git (ours, and the `git_clone` pull step of every flow run) finds the
 * workspace credentials in ~/.netrc, so they never appear in a URL, a process argument or
 * `.git/config`.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";

import { mergeNetrc } from "./credentials-merge.js";
import { bareHost, NetrcError } from "./credentials-netrc.js";

export { NetrcError } from "./credentials-netrc.js";

export interface NetrcResult {
  path: string;
  action: "created" | "updated" | "unchanged";
}

/** Writes or merges ~/.netrc so git (ours, and the worker's git_clone pull steps) authenticates. */
export async function writeNetrc(opts: { home: string; host: string; login: string;
  password: string }): Promise<NetrcResult> {
  const file = path.join(opts.home, ".netrc");
  const host = bareHost(opts.host);
  if (host === "") throw new NetrcError(`no host name in "${opts.host}" to write to ${file}`);

  const existing = await readIfPresent(file);
  const merged = mergeNetrc(existing ?? "", { host, login: opts.login, password: opts.password });

  if (existing === merged) {
    const mode = (await fs.stat(file)).mode & 0o777;
    if (mode === 0o600) return { path: file, action: "unchanged" };
    await fs.chmod(file, 0o600);
    return { path: file, action: "updated" };
  }

  await fs.mkdir(opts.home, { recursive: true, mode: 0o700 });
  await replaceAtomically(file, merged);
  return { path: file, action: existing === undefined ? "created" : "updated" };
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new NetrcError(`cannot read ${file}; check that it is a readable file`, { cause: error });
  }
}

/**
 * Writes a sibling temporary file (created 0600, so the password is never readable by others)
 * and renames it over the target: a reader sees the old file or the new one, never half of one.
 * A symlinked ~/.netrc is replaced by a regular file.
 */
async function replaceAtomically(file: string, content: string): Promise<void> {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    const handle = await fs.open(temporary, "wx", 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(content, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw new NetrcError(`cannot write ${file}; check that its folder is writable by this user ` +
      `(uid ${process.getuid?.() ?? "unknown"})`, { cause: error });
  }
}
