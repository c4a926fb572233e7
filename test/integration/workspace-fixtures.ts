/** A real authenticated git server, a temporary HOME and captured logs for workspace tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";
import { pino } from "pino";

import { writeNetrc } from "../../entrypoint/credentials.js";
import type { WorkspaceOptions } from "../../entrypoint/workspace.js";
import { startGitServer, type GitServer } from "../../stack/git-server.js";

export const username = "flow-bot";

export interface Fixture {
  server: GitServer;
  password: string;
  /** Temporary HOME with a .netrc for the server. */
  home: string;
  /** Parent folder of the checkout (the FLOWS_DIR of the tests). */
  flows: string;
  checkoutDir: string;
  logs: CapturedLogs;
  options(overrides?: Partial<WorkspaceOptions>): WorkspaceOptions;
  cleanUp(): Promise<void>;
}

export interface CapturedLogs {
  lines: Record<string, unknown>[];
  text(): string;
  /** Called with every log line as it is written. */
  onLine?: (line: Record<string, unknown>) => void;
}

/** Starts a git server demanding `password`; `netrcPassword` is what the worker is given. */
export async function setUp(password = "correct horse battery",
  netrcPassword = password): Promise<Fixture> {
  const server = await startGitServer({ username, password });
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "ws-home-"));
  const flows = fs.mkdtempSync(path.join(os.tmpdir(), "ws-flows-"));
  await writeNetrc({ home, host: server.url, login: username, password: netrcPassword });
  const logs = captureLogs();
  const checkoutDir = path.join(flows, "workspace");

  return {
    server, password, home, flows, checkoutDir, logs,
    options: (overrides = {}) => ({
      repoUrl: server.repoUrl("workspace"),
      checkoutDir,
      timeoutMs: 30_000,
      retries: 0,
      env: { PATH: process.env.PATH, HOME: home, GIT_TERMINAL_PROMPT: "0" },
      log: pino({ level: "debug" }, { write: (line: string) => logs.record(line) }),
      signal: new AbortController().signal,
      secrets: [password, netrcPassword],
      ...overrides,
    }),
    async cleanUp() {
      await server.stop();
      fs.rmSync(home, { recursive: true, force: true });
      fs.rmSync(flows, { recursive: true, force: true });
      fs.rmSync(server.root, { recursive: true, force: true });
    },
  };
}

function captureLogs(): CapturedLogs & { record(line: string): void } {
  const captured: CapturedLogs & { record(line: string): void } = {
    lines: [],
    text: () => captured.lines.map((line) => JSON.stringify(line)).join("\n"),
    record(line: string) {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      captured.lines.push(parsed);
      captured.onLine?.(parsed);
    },
  };
  return captured;
}

/** Runs git in a folder with a fixed identity, outside any test HOME. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa("git", args, { cwd, env: {
    GIT_AUTHOR_NAME: "Test", GIT_AUTHOR_EMAIL: "test@localhost",
    GIT_COMMITTER_NAME: "Test", GIT_COMMITTER_EMAIL: "test@localhost",
  } });
  return result.stdout.trim();
}

export const seedFiles = {
  "prefect.yaml": "deployments: []\n",
  "flows/hello.py": "print('hello')\n",
};

/** Git processes still running for a URL: git clone and git-remote-http name it in their args. */
export function gitProcessesFor(url: string): string[] {
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry))) {
    try {
      const args = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ");
      if (args.includes(url) && args.includes("git")) found.push(`${pid}: ${args}`);
    } catch {
      // The process exited while we looked.
    }
  }
  return found;
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  const outcome = await promise.then((value) => ({ value }), (error: Error) => ({ error }));
  if ("error" in outcome) return outcome.error;
  throw new Error(`expected a rejection, got ${JSON.stringify(outcome.value)}`);
}
