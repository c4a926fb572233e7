import fs from "node:fs";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { syncWorkspace, WorkspaceError } from "../../entrypoint/workspace.js";
import { git, rejection, seedFiles, setUp, type Fixture } from "./workspace-fixtures.js";

let fx: Fixture;
let seeded: string;

beforeEach(async () => {
  fx = await setUp();
  await fx.server.createRepo("workspace");
  seeded = await fx.server.commit("workspace", { files: seedFiles, message: "Seed" });
});
afterEach(async () => {
  expect(fx.logs.text()).not.toContain(fx.password);
  await fx.cleanUp();
});

const read = (file: string) => fs.readFileSync(path.join(fx.checkoutDir, file), "utf8");
const gitConfig = () => read(".git/config");
const siblings = () => fs.readdirSync(fx.flows);

describe("workspace sync against an authenticated git server", () => {
  it("clones the remote's default branch when there is no checkout", async () => {
    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "cloned", branch: "main", commit: seeded,
      checkoutDir: fx.checkoutDir });
    expect(read("flows/hello.py")).toBe("print('hello')\n");
    expect(gitConfig()).toContain(`url = ${fx.server.repoUrl("workspace")}\n`);
    expect(gitConfig()).not.toContain(fx.password);
    expect(siblings()).toEqual(["workspace"]);
    const done = fx.logs.lines.find((line) => line.step === "done");
    expect(done).toMatchObject({ phase: "workspace", outcome: "cloned", branch: "main",
      commit: seeded });
    expect(done?.durationMs).toEqual(expect.any(Number));
  });

  it("updates the checkout to a new commit pushed to the branch", async () => {
    await syncWorkspace(fx.options());
    const pushed = await fx.server.commit("workspace",
      { files: { "flows/hello.py": "print('hello again')\n" } });

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "updated", branch: "main", commit: pushed });
    expect(read("flows/hello.py")).toBe("print('hello again')\n");
  });

  it("reports unchanged when the branch has not moved", async () => {
    await syncWorkspace(fx.options());

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "unchanged", commit: seeded });
  });

  it("discards local edits and logs how many files it discarded", async () => {
    await syncWorkspace(fx.options());
    fs.writeFileSync(path.join(fx.checkoutDir, "flows/hello.py"), "edited\n");
    fs.writeFileSync(path.join(fx.checkoutDir, "scratch.txt"), "untracked\n");
    fs.mkdirSync(path.join(fx.checkoutDir, "__pycache__"));
    fs.writeFileSync(path.join(fx.checkoutDir, "__pycache__/x.pyc"), "");

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "unchanged", commit: seeded });
    expect(result.detail).toMatch(/discarded local changes to 3 files/);
    expect(read("flows/hello.py")).toBe("print('hello')\n");
    expect(fs.existsSync(path.join(fx.checkoutDir, "scratch.txt"))).toBe(false);
    expect(fs.existsSync(path.join(fx.checkoutDir, "__pycache__"))).toBe(false);
    expect(fx.logs.lines).toContainEqual(expect.objectContaining({ discardedFiles: 3 }));
  });

  it("recovers from a force-pushed branch", async () => {
    const bare = path.join(fx.server.root, "workspace.git");
    await fx.server.commit("workspace", { files: { "flows/hello.py": "print('v2')\n" } });
    await syncWorkspace(fx.options());
    await git(bare, "update-ref", "refs/heads/main", seeded);
    const rewritten = await fx.server.commit("workspace",
      { files: { "flows/hello.py": "print('rewritten')\n" } });

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "recovered", commit: rewritten });
    expect(result.detail).toMatch(/force-pushed/);
    expect(read("flows/hello.py")).toBe("print('rewritten')\n");
  });

  it("replaces a checkout whose .git/HEAD is broken", async () => {
    await syncWorkspace(fx.options());
    fs.writeFileSync(path.join(fx.checkoutDir, ".git/HEAD"), "garbage\n");

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "recovered", commit: seeded });
    expect(result.detail).toMatch(/damaged git checkout/);
    expect(await git(fx.checkoutDir, "status", "--porcelain")).toBe("");
    expect(siblings()).toEqual(["workspace"]);
  });

  it("replaces a checkout whose objects are missing", async () => {
    await syncWorkspace(fx.options());
    const objects = path.join(fx.checkoutDir, ".git/objects");
    for (const entry of fs.readdirSync(objects)) {
      if (entry !== "info") fs.rmSync(path.join(objects, entry), { recursive: true });
    }
    const pushed = await fx.server.commit("workspace", { files: { "new.txt": "new\n" } });

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "recovered", commit: pushed });
    expect(read("new.txt")).toBe("new\n");
    expect(await git(fx.checkoutDir, "fsck", "--no-progress")).toBe("");
  });

  it("replaces a checkout of another remote", async () => {
    await fx.server.createRepo("other");
    await fx.server.commit("other", { files: { "other.txt": "other\n" } });
    await syncWorkspace(fx.options({ repoUrl: fx.server.repoUrl("other") }));

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "recovered", commit: seeded });
    expect(result.detail).toMatch(/checkout of .*other\.git/);
    expect(fs.existsSync(path.join(fx.checkoutDir, "other.txt"))).toBe(false);
    expect(gitConfig()).toContain(`url = ${fx.server.repoUrl("workspace")}\n`);
  });

  it("replaces a folder that is not a git checkout, leaving no temporary folder", async () => {
    fs.mkdirSync(fx.checkoutDir);
    fs.writeFileSync(path.join(fx.checkoutDir, "notes.txt"), "not a checkout\n");

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "recovered", commit: seeded });
    expect(result.detail).toMatch(/not a git checkout/);
    expect(fs.existsSync(path.join(fx.checkoutDir, "notes.txt"))).toBe(false);
    expect(siblings()).toEqual(["workspace"]);
    expect(fx.logs.lines).toContainEqual(expect.objectContaining({ step: "recover" }));
  });

  it("keeps the old folder when the server goes away before the replacement clone", async () => {
    fs.mkdirSync(fx.checkoutDir);
    fs.writeFileSync(path.join(fx.checkoutDir, "notes.txt"), "keep me\n");
    fx.logs.onLine = (line) => {
      if (line.step === "ls-remote") void fx.server.stop();
    };

    const result = await syncWorkspace(fx.options());

    expect(result.outcome).toBe("unavailable");
    expect(read("notes.txt")).toBe("keep me\n");
    expect(siblings()).toEqual(["workspace"]);
  });

  it("puts back a checkout that an interrupted sync had set aside", async () => {
    await syncWorkspace(fx.options());
    const holder = path.join(fx.flows, ".workspace.sync-abc123");
    fs.mkdirSync(holder);
    fs.renameSync(fx.checkoutDir, path.join(holder, "previous"));

    const result = await syncWorkspace(fx.options());

    expect(result).toMatchObject({ outcome: "unchanged", commit: seeded });
    expect(siblings()).toEqual(["workspace"]);
    expect(fx.logs.text()).toMatch(/put back the checkout/);
  });

  it("reports an empty repository without touching anything", async () => {
    await fx.server.createRepo("empty");

    const result = await syncWorkspace(fx.options({ repoUrl: fx.server.repoUrl("empty") }));

    expect(result.outcome).toBe("empty");
    expect(fs.existsSync(fx.checkoutDir)).toBe(false);
    expect(fx.logs.lines).toContainEqual(expect.objectContaining({ level: 40,
      msg: expect.stringMatching(/has no commits yet/) }));
  });

  it("fails naming a missing branch and the remote's branches, keeping the checkout", async () => {
    await fx.server.commit("workspace", { branch: "develop", files: { "d.txt": "d\n" } });
    await syncWorkspace(fx.options());

    const error = await rejection(syncWorkspace(fx.options({ branch: "release" })));

    expect(error).toBeInstanceOf(WorkspaceError);
    expect((error as WorkspaceError).failure).toBe("branch");
    expect(error.message).toMatch(/branch "release" does not exist in http:\/\/127\.0\.0\.1:\d+\//);
    expect(error.message).toMatch(/its branches are: (develop, main|main, develop)/);
    expect(await git(fx.checkoutDir, "rev-parse", "HEAD")).toBe(seeded);
  });

  it("checks out a branch other than the default when asked", async () => {
    const develop = await fx.server.commit("workspace",
      { branch: "develop", files: { "d.txt": "d\n" } });
    await syncWorkspace(fx.options());

    const result = await syncWorkspace(fx.options({ branch: "develop" }));

    expect(result).toMatchObject({ outcome: "updated", branch: "develop", commit: develop });
    expect(await git(fx.checkoutDir, "symbolic-ref", "--short", "HEAD")).toBe("develop");
  });

  it("follows a default branch that is not main", async () => {
    await fx.server.createRepo("trunk-repo", { branch: "trunk" });
    const trunk = await fx.server.commit("trunk-repo", { files: seedFiles });

    const result = await syncWorkspace(fx.options({ repoUrl: fx.server.repoUrl("trunk-repo") }));

    expect(result).toMatchObject({ outcome: "cloned", branch: "trunk", commit: trunk });
    expect(await git(fx.checkoutDir, "symbolic-ref", "--short", "HEAD")).toBe("trunk");
  });

  it("removes credentials someone stored in the origin URL", async () => {
    await syncWorkspace(fx.options());
    const withCredentials = fx.server.repoUrl("workspace")
      .replace("://", `://${"flow-bot"}:${encodeURIComponent(fx.password)}@`);
    await git(fx.checkoutDir, "remote", "set-url", "origin", withCredentials);

    const result = await syncWorkspace(fx.options());

    expect(result.outcome).toBe("unchanged");
    expect(gitConfig()).not.toContain(encodeURIComponent(fx.password));
    expect(gitConfig()).toContain(`url = ${fx.server.repoUrl("workspace")}\n`);
  });
});
