/**
 * The servers an integration test file shares: a real Prefect server and a real git HTTP server
 * with basic authentication, started once before the file's tests and stopped after them,
 * together with whatever the tests registered for clean-up.
 */
import { afterAll, beforeAll } from "vitest";

import { startGitServer, type GitServer } from "../../stack/git-server.js";
import { startPrefectServer, type PrefectServer } from "../../stack/prefect-server.js";
import { buildBundle, gitPassword, gitUser } from "./entrypoint-fixtures.js";

export interface TestServers {
  readonly prefect: PrefectServer;
  readonly git: GitServer;
  /** Run in reverse order after the file's last test, before the servers stop. */
  readonly cleanups: (() => Promise<void> | void)[];
}

/** Registers the file's beforeAll and afterAll; `seed` fills the git server once it is up. */
export function useTestServers(seed?: (git: GitServer) => Promise<void>): TestServers {
  let prefect: PrefectServer | undefined;
  let git: GitServer | undefined;
  const cleanups: TestServers["cleanups"] = [];

  beforeAll(async () => {
    await buildBundle();
    [prefect, git] = await Promise.all([startPrefectServer(),
      startGitServer({ username: gitUser, password: gitPassword })]);
    await seed?.(git);
  });

  afterAll(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await Promise.all([prefect?.stop(), git?.stop()]);
  });

  return {
    get prefect() {
      if (!prefect) throw new Error("the Prefect server is used before beforeAll started it");
      return prefect;
    },
    get git() {
      if (!git) throw new Error("the git server is used before beforeAll started it");
      return git;
    },
    cleanups,
  };
}
