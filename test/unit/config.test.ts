import os from "node:os";

import { describe, expect, it } from "vitest";

import { bootLogSettings, loadConfig } from "../../entrypoint/config.js";
import { ConfigError } from "../../entrypoint/errors.js";

const api = { PREFECT_API_URL: "http://prefect-server:4200/api" };
const repo = "https://gitea.example.com/team/workspace.git";

function problemsOf(env: NodeJS.ProcessEnv, argv: string[] = []): Record<string, string> {
  try {
    loadConfig(env, argv);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return Object.fromEntries((error as ConfigError).problems.map((p) => [p.variable, p.problem]));
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig", () => {
  it("fills every default from an environment with only PREFECT_API_URL", () => {
    const config = loadConfig({ ...api, HOME: "/home/worker" }, []);
    expect(config).toMatchObject({
      apiUrl: "http://prefect-server:4200/api",
      repository: undefined,
      workPool: { name: "local-pool", type: "process" },
      manifests: ["prefect.yaml"],
      gitTimeoutMs: 120_000,
      gitRetries: 2,
      apiReadyTimeoutMs: 120_000,
      deployTimeoutMs: 300_000,
      registrationStrict: false,
      syncIntervalMs: 60_000,
      log: { level: "info", format: "json" },
      workerHealthPort: 8080,
      workerHealthHost: "0.0.0.0",
      unknownGiteaVariables: [],
      home: "/home/worker",
      workerArgs: [],
      secrets: [],
    });
  });

  it("turns the resync off with SYNC_INTERVAL_SECONDS=0 and refuses a negative interval", () => {
    expect(loadConfig({ ...api, SYNC_INTERVAL_SECONDS: "0" }, []).syncIntervalMs).toBe(0);
    expect(loadConfig({ ...api, SYNC_INTERVAL_SECONDS: "15" }, []).syncIntervalMs).toBe(15_000);
    expect(() => loadConfig({ ...api, SYNC_INTERVAL_SECONDS: "-5" }, []))
      .toThrow("SYNC_INTERVAL_SECONDS must be a whole number of seconds from 0 to 86400");
  });

  it("names GITEA_* variables it does not read, such as a misspelled token variable", () => {
    const config = loadConfig({ ...api, GITEA_TOKEN: "t", GITEA_REPO: repo }, []);
    expect(config.unknownGiteaVariables.sort()).toEqual(["GITEA_REPO", "GITEA_TOKEN"]);
  });

  it("takes the home folder from the operating system when HOME is not set", () => {
    expect(loadConfig(api, []).home).toBe(os.homedir());
  });

  it("derives the checkout folder from the repository URL without .git", () => {
    const config = loadConfig({ ...api, GITEA_REPO_URL: repo, FLOWS_DIR: "/srv/flows" }, []);
    expect(config.repository).toMatchObject({ url: repo, host: "gitea.example.com",
      name: "workspace", checkoutDir: "/srv/flows/workspace", branch: undefined });
  });

  it("uses REPO_NAME and GIT_BRANCH when they are set", () => {
    const config = loadConfig({ ...api, GITEA_REPO_URL: repo, REPO_NAME: "team-flows",
      GIT_BRANCH: "release/2025" }, []);
    expect(config.repository).toMatchObject({ name: "team-flows",
      checkoutDir: "/flows/team-flows", branch: "release/2025" });
  });

  it("moves credentials out of the repository URL into username and password", () => {
    const config = loadConfig({ ...api,
      GITEA_REPO_URL: "https://flow-bot:p%40ss%3Aword@gitea.example.com/team/workspace.git" }, []);
    expect(config.repository).toMatchObject({ url: repo, username: "flow-bot",
      password: "p@ss:word" });
    expect(config.secrets).toContain("p@ss:word");
  });

  it("reports credentials in the URL that contradict GITEA_PASSWORD without showing either", () => {
    const problems = problemsOf({ ...api, GITEA_USERNAME: "flow-bot",
      GITEA_PASSWORD: "first-secret",
      GITEA_REPO_URL: "https://flow-bot:second-secret@gitea.example.com/team/workspace.git" });
    expect(problems.GITEA_PASSWORD).toMatch(/differs from the credentials inside GITEA_REPO_URL/);
    expect(JSON.stringify(problems)).not.toMatch(/first-secret|second-secret/);
  });

  it("reports every problem at once", () => {
    const problems = problemsOf({ GITEA_REPO_URL: "git@gitea.example.com:team/ws.git",
      GIT_TIMEOUT_SECONDS: "ten", API_READY_TIMEOUT_SECONDS: "0", DEPLOY_TIMEOUT_SECONDS: "-5",
      WORKER_HEALTH_PORT: "80800", LOG_FORMAT: "xml", LOG_LEVEL: "loud",
      REGISTRATION_STRICT: "sometimes", GIT_RETRIES: "1.5", FLOWS_DIR: "flows", WORK_POOL_NAME: "prefect-pool",
      PREFECT_MANIFESTS: "../other/prefect.yaml" }, ["--pool", "other"]);
    expect(Object.keys(problems).sort()).toEqual([
      "API_READY_TIMEOUT_SECONDS", "DEPLOY_TIMEOUT_SECONDS", "FLOWS_DIR", "GITEA_REPO_URL",
      "GIT_RETRIES", "GIT_TIMEOUT_SECONDS", "LOG_FORMAT", "LOG_LEVEL", "PREFECT_API_URL", "PREFECT_MANIFESTS",
      "REGISTRATION_STRICT", "WORKER_HEALTH_PORT", "WORK_POOL_NAME", "command arguments",
    ]);
    expect(problems.PREFECT_API_URL).toMatch(/is required.*http:\/\/prefect-server:4200\/api/);
    expect(problems.GIT_TIMEOUT_SECONDS).toBe('must be a whole number of seconds from 1 to ' +
      '86400, got "ten"');
    expect(problems.WORKER_HEALTH_PORT).toMatch(/from 1 to 65535, got "80800"/);
    expect(problems.GITEA_REPO_URL).toMatch(/http:\/\/ or https:\/\/ clone URL/);
    expect(problems["command arguments"]).toMatch(/--pool.*WORK_POOL_NAME/);
  });

  it("explains the problems on separate lines for stderr", () => {
    try {
      loadConfig({ GIT_RETRIES: "many" }, []);
      expect.unreachable();
    } catch (error) {
      expect((error as ConfigError).explain()).toBe("Invalid configuration (2); nothing was " +
        "started:\n  - PREFECT_API_URL: is required: set it to the Prefect API, e.g. " +
        "http://prefect-server:4200/api\n  - GIT_RETRIES: must be a whole number from 0 to 10, " +
        'got "many"\n');
      expect((error as ConfigError).exitStatus).toBe(78);
    }
  });

  it("never echoes the password of a repository URL it rejects", () => {
    const problems = problemsOf({ ...api,
      GITEA_REPO_URL: "ftp://bot:hunter2@gitea.example.com/ws" });
    expect(problems.GITEA_REPO_URL).toContain("ftp://gitea.example.com/ws");
    expect(problems.GITEA_REPO_URL).not.toContain("hunter2");
  });

  it("asks for the missing half of the credentials", () => {
    expect(problemsOf({ ...api, GITEA_REPO_URL: repo, GITEA_USERNAME: "flow-bot" }))
      .toHaveProperty("GITEA_PASSWORD");
    expect(problemsOf({ ...api, GITEA_PASSWORD: "token" })).toHaveProperty("GITEA_REPO_URL");
  });

  it("asks for REPO_NAME when the URL has no repository path", () => {
    expect(problemsOf({ ...api, GITEA_REPO_URL: "https://gitea.example.com/" }).REPO_NAME)
      .toMatch(/set REPO_NAME/);
  });

  it("accepts the usual spellings of the strict flag", () => {
    for (const [value, expected] of [["true", true], ["1", true], ["yes", true], ["false", false],
      ["0", false], ["", false]] as const) {
      expect(loadConfig({ ...api, REGISTRATION_STRICT: value }, []).registrationStrict)
        .toBe(expected);
    }
  });

  it("splits PREFECT_MANIFESTS on commas and ignores blanks", () => {
    expect(loadConfig({ ...api, PREFECT_MANIFESTS: " prefect.yaml, teams/a/prefect.yaml ,," }, [])
      .manifests).toEqual(["prefect.yaml", "teams/a/prefect.yaml"]);
  });

  it("treats an empty variable as unset", () => {
    const config = loadConfig({ ...api, GITEA_REPO_URL: "", WORK_POOL_NAME: " ",
      GIT_TIMEOUT_SECONDS: "" }, []);
    expect(config.repository).toBeUndefined();
    expect(config.workPool.name).toBe("local-pool");
    expect(config.gitTimeoutMs).toBe(120_000);
  });

  it("keeps a password byte for byte, spaces included", () => {
    const config = loadConfig({ ...api, GITEA_REPO_URL: repo, GITEA_USERNAME: " flow-bot ",
      GITEA_PASSWORD: " pass phrase " }, []);
    expect(config.repository).toMatchObject({ username: "flow-bot", password: " pass phrase " });
  });

  it("refuses a timeout longer than a day, which Node's timers cannot wait for", () => {
    expect(problemsOf({ ...api, DEPLOY_TIMEOUT_SECONDS: "9999999999" }).DEPLOY_TIMEOUT_SECONDS)
      .toBe('must be a whole number of seconds from 1 to 86400, got "9999999999"');
  });

  it("passes the command-line arguments on to the worker", () => {
    expect(loadConfig(api, ["--limit", "4", "--name", "w1"]).workerArgs)
      .toEqual(["--limit", "4", "--name", "w1"]);
  });

  it("lists the API key, the auth string and its password half as secrets", () => {
    const config = loadConfig({ ...api, PREFECT_API_KEY: "pnu_key",
      PREFECT_API_AUTH_STRING: "admin:pa55word" }, []);
    expect(config.secrets).toEqual(["pnu_key", "admin:pa55word", "pa55word"]);
  });

  it("refuses credentials inside PREFECT_API_URL and points at PREFECT_API_AUTH_STRING", () => {
    const problem = problemsOf({ PREFECT_API_URL: "http://admin:hunter2@prefect:4200/api" })
      .PREFECT_API_URL;
    expect(problem).toBe("must not contain credentials (http://prefect:4200/api); set " +
      "PREFECT_API_AUTH_STRING=user:password for a server with basic auth");
    expect(problem).not.toContain("hunter2");
  });

  it("drops a trailing slash from PREFECT_API_URL", () => {
    expect(loadConfig({ PREFECT_API_URL: "http://prefect:4200/api/" }, []).apiUrl)
      .toBe("http://prefect:4200/api");
  });
});

describe("bootLogSettings", () => {
  it("falls back to json at info when the log variables are invalid", () => {
    expect(bootLogSettings({ LOG_FORMAT: "xml", LOG_LEVEL: "loud" }))
      .toEqual({ level: "info", format: "json" });
    expect(bootLogSettings({ LOG_FORMAT: "pretty", LOG_LEVEL: "debug" }))
      .toEqual({ level: "debug", format: "pretty" });
  });
});
