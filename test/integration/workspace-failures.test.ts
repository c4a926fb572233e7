import fs from "node:fs";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { syncWorkspace, WorkspaceError } from "../../entrypoint/workspace.js";
import {
  gitProcessesFor, rejection, seedFiles, setUp, type Fixture,
} from "./workspace-fixtures.js";

let fx: Fixture | undefined;
afterEach(async () => {
  await fx?.cleanUp();
  fx = undefined;
});

async function seededFixture(password?: string, netrcPassword?: string): Promise<Fixture> {
  fx = await setUp(password, netrcPassword);
  await fx.server.createRepo("workspace");
  await fx.server.commit("workspace", { files: seedFiles });
  return fx;
}

/** Everything the phase leaves behind that a person or another process could read. */
function everythingWritten(f: Fixture, error?: Error): string {
  const gitConfig = path.join(f.checkoutDir, ".git", "config");
  return [
    f.logs.text(),
    error ? `${error.message} ${String((error.cause as Error | undefined)?.message)}` : "",
    fs.existsSync(gitConfig) ? fs.readFileSync(gitConfig, "utf8") : "",
  ].join("\n");
}

describe("workspace sync when the git server is unreachable", () => {
  it("keeps an existing checkout and reports it as stale", async () => {
    const f = await seededFixture();
    const first = await syncWorkspace(f.options());
    await f.server.stop();

    const result = await syncWorkspace(f.options({ retries: 1 }));

    expect(result).toMatchObject({ outcome: "stale", commit: first.commit, branch: "main" });
    expect(f.logs.lines).toContainEqual(expect.objectContaining({ outcome: "stale", level: 40,
      msg: expect.stringMatching(/cannot reach .*may be out of date/) }));
    expect(f.logs.lines).toContainEqual(expect.objectContaining({ retry: 1, retries: 1 }));
  });

  it("reports unavailable when there is no checkout yet", async () => {
    const f = await seededFixture();
    await f.server.stop();

    const result = await syncWorkspace(f.options());

    expect(result.outcome).toBe("unavailable");
    expect(result.detail).toMatch(/cannot reach http:\/\/127\.0\.0\.1:\d+\/workspace\.git/);
    expect(fs.existsSync(f.checkoutDir)).toBe(false);
    expect(fs.readdirSync(f.flows)).toEqual([]);
  });

  it("gives up on a git command that hangs longer than the timeout", async () => {
    const f = await seededFixture();
    f.server.setLatency(60_000);
    const started = Date.now();

    const result = await syncWorkspace(f.options({ timeoutMs: 1000 }));

    expect(result.outcome).toBe("unavailable");
    expect(result.detail).toMatch(/did not finish within 1 s/);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(gitProcessesFor(f.server.url)).toEqual([]);
  });
});

describe("workspace sync with wrong credentials", () => {
  it("fails clearly without a checkout, and the password appears nowhere", async () => {
    const f = await seededFixture("the-right-password", "wr0ng pa$$word");

    const error = await rejection(syncWorkspace(f.options({ retries: 3 })));

    expect(error).toBeInstanceOf(WorkspaceError);
    expect((error as WorkspaceError).failure).toBe("auth");
    expect(error.message).toMatch(new RegExp("^authentication failed for " +
      `${f.server.repoUrl("workspace").replace(/\./g, "\\.")}: check GITEA_USERNAME / ` +
      "GITEA_PASSWORD$"));
    expect(f.logs.lines.filter((line) => line.retry !== undefined)).toEqual([]);
    expect(f.server.rejectedRequests).toBeGreaterThan(0);
    for (const secret of ["wr0ng pa$$word", "wr0ng%20pa%24%24word", "the-right-password"]) {
      expect(everythingWritten(f, error)).not.toContain(secret);
    }
  });

  it("recognises refused credentials even when the password is a letter of git's message",
    async () => {
      // Masked first, "could not read Username" would read "could not re*d Usern*me".
      const f = await seededFixture("the-right-password", "a");

      const error = await rejection(syncWorkspace(f.options()));

      expect((error as WorkspaceError).failure).toBe("auth");
    });

  it("keeps an existing checkout as stale and logs that the credentials are wrong", async () => {
    const f = await seededFixture("the-right-password");
    await syncWorkspace(f.options());
    fs.writeFileSync(path.join(f.home, ".netrc"),
      `machine 127.0.0.1 login flow-bot password "wr0ng pa$$word"\n`, { mode: 0o600 });

    const result = await syncWorkspace(f.options({ secrets: ["wr0ng pa$$word"] }));

    expect(result.outcome).toBe("stale");
    expect(f.logs.lines).toContainEqual(expect.objectContaining({ level: 50, failure: "auth",
      msg: expect.stringMatching(new RegExp("authentication failed for .*check GITEA_USERNAME / " +
        "GITEA_PASSWORD; keeping the existing checkout")) }));
    expect(everythingWritten(f)).not.toContain("wr0ng pa$$word");
    expect(everythingWritten(f)).not.toContain("the-right-password");
  });
  it("never runs an askpass program or credential helper found in the environment", async () => {
    const f = await seededFixture("the-right-password", "wrong-password");
    const marker = path.join(f.home, "prompted");
    const program = path.join(f.home, "prompt.sh");
    fs.writeFileSync(program, `#!/bin/sh\ntouch ${marker}\necho guessed\n`, { mode: 0o755 });
    fs.writeFileSync(path.join(f.home, ".gitconfig"),
      `[core]\n\taskPass = ${program}\n[credential]\n\thelper = !${program}\n`);
    const env = { ...f.options().env, GIT_ASKPASS: program, SSH_ASKPASS: program };

    const error = await rejection(syncWorkspace(f.options({ env })));

    expect((error as WorkspaceError).failure).toBe("auth");
    expect(fs.existsSync(marker)).toBe(false);
  });

  it("refuses a repository URL that carries credentials, without showing them", async () => {
    const f = await seededFixture();
    const repoUrl = f.server.repoUrl("workspace").replace("://", "://flow-bot:hunter2@");

    const error = await rejection(syncWorkspace(f.options({ repoUrl })));

    expect((error as WorkspaceError).failure).toBe("config");
    expect(error.message).toMatch(/contains credentials; remove them from GITEA_REPO_URL/);
    expect(error.message + f.logs.text()).not.toContain("hunter2");
  });
});

describe("workspace sync with an awkward password", () => {
  it("clones with a password holding a space, quotes, #, @, / and :", async () => {
    const password = `a b"c'd#e@f/g:h\\i`;
    const f = await seededFixture(password);

    const result = await syncWorkspace(f.options());

    expect(result.outcome).toBe("cloned");
    expect(everythingWritten(f)).not.toContain(password);
  });
});

describe("aborting the workspace sync", () => {
  it("kills git promptly during a slow clone and leaves nothing behind", async () => {
    const f = await seededFixture();
    const controller = new AbortController();
    let abortedAt = 0;
    let runningAtAbort: string[] = [];
    f.logs.onLine = (line) => {
      if (line.step !== "ls-remote") return;
      f.server.setLatency(60_000);
      setTimeout(() => {
        runningAtAbort = gitProcessesFor(f.server.url);
        abortedAt = Date.now();
        controller.abort();
      }, 500);
    };

    const error = await rejection(syncWorkspace(f.options({ signal: controller.signal })));

    expect(error.name).toBe("AbortError");
    expect(runningAtAbort.join("\n")).toMatch(/git(-remote-http| clone)/);
    expect(Date.now() - abortedAt).toBeLessThan(2500);
    expect(gitProcessesFor(f.server.url)).toEqual([]);
    expect(fs.readdirSync(f.flows)).toEqual([]);
  });
});
