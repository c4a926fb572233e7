/** Checkouts the way containers see them: on volumes, owned by another uid. */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { syncWorkspace, WorkspaceError } from "../../entrypoint/workspace.js";
import { git, rejection, seedFiles, setUp, type Fixture } from "./workspace-fixtures.js";

let fx: Fixture;
let mounted = false;

beforeEach(async () => {
  fx = await setUp();
  await fx.server.createRepo("workspace");
  await fx.server.commit("workspace", { files: seedFiles });
});
afterEach(async () => {
  if (mounted) execFileSync("umount", [fx.checkoutDir]);
  mounted = false;
  await fx.cleanUp();
});

const isRoot = process.getuid?.() === 0;

/** Mounts a tmpfs on the checkout path, like a volume mounted on the checkout itself. */
function mountVolume(): boolean {
  fs.mkdirSync(fx.checkoutDir, { recursive: true });
  try {
    execFileSync("mount", ["-t", "tmpfs", "tmpfs", fx.checkoutDir], { stdio: "ignore" });
    mounted = true;
  } catch {
    mounted = false;
  }
  return mounted;
}

describe("workspace sync on container volumes", () => {
  it.runIf(isRoot)("updates a checkout owned by another user", async () => {
    await syncWorkspace(fx.options());
    const pushed = await fx.server.commit("workspace", { files: { "n.txt": "n\n" } });
    fs.chownSync(fx.checkoutDir, 4242, 4242);
    for (const entry of fs.readdirSync(fx.checkoutDir, { recursive: true })) {
      fs.lchownSync(path.join(fx.checkoutDir, String(entry)), 4242, 4242);
    }

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "updated", commit: pushed });
    expect(fs.existsSync(path.join(fx.home, ".gitconfig"))).toBe(false);
  });

  it.runIf(isRoot)("clones into an empty volume mounted on the checkout path", async (test) => {
    if (!mountVolume()) test.skip("this machine does not allow mounting a tmpfs");

    const result = await syncWorkspace(fx.options());

    expect(result.outcome).toBe("cloned");
    expect(await git(fx.checkoutDir, "status", "--porcelain")).toBe("");
    expect(fs.readdirSync(fx.flows)).toEqual(["workspace"]);
  });

  it.runIf(isRoot)("updates a checkout on its own volume in place", async (test) => {
    if (!mountVolume()) test.skip("this machine does not allow mounting a tmpfs");
    await syncWorkspace(fx.options());
    const pushed = await fx.server.commit("workspace", { files: { "n.txt": "n\n" } });

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "updated", commit: pushed });
  });

  it.runIf(isRoot)("reports a damaged checkout on its own volume instead of replacing it",
    async (test) => {
      if (!mountVolume()) test.skip("this machine does not allow mounting a tmpfs");
      fs.writeFileSync(path.join(fx.checkoutDir, "notes.txt"), "not a checkout\n");

      const error = await rejection(syncWorkspace(fx.options()));

      expect(error).toBeInstanceOf(WorkspaceError);
      expect(error.message).toMatch(/it is a mount point and not empty; mount its parent folder/);
      expect(fs.readFileSync(path.join(fx.checkoutDir, "notes.txt"), "utf8"))
        .toBe("not a checkout\n");
      expect(fs.readdirSync(fx.flows)).toEqual(["workspace"]);
    });
});
