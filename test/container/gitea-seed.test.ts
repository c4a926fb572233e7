/**
 * docker/gitea-seed.sh, compose.yaml's one-shot job, run as the job runs it (bash, curl, git)
 * against stand-ins for Gitea's command line and REST API, with pushes going to a real git
 * server. No container engine needed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startGitServer, type GitServer } from "../../stack/git-server.js";
import { repoRoot, seedWorkspaceDir } from "../../stack/paths.js";
import { startGiteaApi, type GiteaApi } from "./gitea-api.js";

const user = "nexus";
// Quotes, a backslash and a space: the password travels through JSON and a netrc file.
const firstPassword = 'seed "pass" \\ word';
const secondPassword = "changed-in-dot-env";

describe("the Gitea seeding job", () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "gitea-seed-"));
  let git: GitServer;
  let api: GiteaApi;

  beforeAll(async () => {
    git = await startGitServer({ username: user, password: firstPassword });
    api = await startGiteaApi(state, git);
  });

  afterAll(async () => {
    await api?.stop();
    await git?.stop();
    fs.rmSync(state, { recursive: true, force: true });
  });

  function seed(password: string) {
    const standIn = path.join(repoRoot, "test", "container", "gitea-stand-in");
    return execa("bash", [path.join(repoRoot, "docker", "gitea-seed.sh")], {
      env: {
        PATH: `${standIn}:${process.env.PATH}`,
        GITEA_STAND_IN_STATE: state,
        GITEA_URL: api.url,
        GITEA_ADMIN_USERNAME: user,
        GITEA_ADMIN_PASSWORD: password,
        GITEA_ADMIN_EMAIL: "nexus@localhost",
        WORKSPACE_REPO_NAME: "workspace",
        SEED_DIR: seedWorkspaceDir,
      },
      extendEnv: false,
      all: true,
      reject: false,
    });
  }

  const head = async () =>
    (await execa("git", ["rev-parse", "main"], { cwd: path.join(git.root, user, "workspace.git") }))
      .stdout;
  const files = async () => (await execa("git", ["ls-tree", "-r", "--name-only", "main"],
    { cwd: path.join(git.root, user, "workspace.git") })).stdout.split("\n");
  const accountPassword = () => fs.readFileSync(path.join(state, "users", user), "utf8");

  it("creates the account, the repository and pushes the workspace into it", async () => {
    const run = await seed(firstPassword);

    expect(run.exitCode, run.all).toBe(0);
    expect(accountPassword()).toBe(firstPassword);
    expect(await files()).toContain("prefect.yaml");
    expect(await files()).toContain("flows/nyc_green_taxi_pipeline.py");
    expect((await files()).some((file) => file.includes("__pycache__"))).toBe(false);
  });

  it("leaves a repository with commits alone and sets the password again", async () => {
    await git.commit(`${user}/workspace`, { files: { "NOTES.md": "kept\n" }, branch: "main" });
    const before = await head();

    const run = await seed(secondPassword);

    expect(run.exitCode, run.all).toBe(0);
    expect(run.all).toContain("already has commits");
    expect(await head()).toBe(before);
    expect(accountPassword()).toBe(secondPassword);
  });

  it("deletes its access tokens and never puts a password or token on a command line", () => {
    expect(fs.readdirSync(path.join(state, "tokens"))).toEqual([]);
    const commandLines = fs.readFileSync(path.join(state, "command-lines.log"), "utf8");
    expect(commandLines).toContain("gitea admin user create");
    expect(commandLines).toContain("git push");
    const tokens = fs.readFileSync(path.join(state, "issued-tokens"), "utf8").trim().split("\n");
    expect(tokens).toHaveLength(2);
    for (const secret of [firstPassword, secondPassword, ...tokens, "Authorization"]) {
      expect(commandLines).not.toContain(secret);
    }
  });
});
