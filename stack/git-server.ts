/**
 * A real git HTTP server for the demo and the tests: git's own `git http-backend` (smart HTTP,
 * clone and push) behind a small Node server that demands HTTP basic authentication, the way
 * Gitea and Forgejo answer an anonymous request for a private repository.
 */
import { spawn } from "node:child_process";
import { timingSafeEqual } from "node:crypto";
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";

export interface GitServerOptions {
  username: string;
  password: string;
  /** Defaults to a free port. */
  port?: number;
  /** Folder holding the bare repositories; defaults to a temporary folder removed by stop(). */
  root?: string;
}

export interface CommitOptions {
  /** Files to write (path relative to the repository root → content); null deletes the file. */
  files?: Record<string, string | null>;
  /** A folder whose content replaces the whole tree. */
  fromDir?: string;
  message?: string;
  branch?: string;
}

export interface GitServer {
  /** e.g. http://127.0.0.1:3000 */
  readonly url: string;
  readonly root: string;
  readonly port: number;
  /** Clone URL of a repository, without credentials. */
  repoUrl(name: string): string;
  /** Creates a bare repository whose default branch is `branch` (main); seeds it from a folder. */
  createRepo(name: string, options?: { fromDir?: string; branch?: string }): Promise<string>;
  /** Commits to a branch of a hosted repository (directly on disk) and returns the new commit. */
  commit(name: string, options: CommitOptions): Promise<string>;
  /** Makes every request wait this long before it is answered (0 turns it off). */
  setLatency(ms: number): void;
  /** How many requests were refused for missing or wrong credentials. */
  readonly rejectedRequests: number;
  stop(): Promise<void>;
}

const author = {
  GIT_AUTHOR_NAME: "Local Stack", GIT_AUTHOR_EMAIL: "stack@localhost",
  GIT_COMMITTER_NAME: "Local Stack", GIT_COMMITTER_EMAIL: "stack@localhost",
};

/** Starts the server on 127.0.0.1 and resolves once it accepts connections. */
export async function startGitServer(options: GitServerOptions): Promise<GitServer> {
  const root = options.root ?? fs.mkdtempSync(path.join(os.tmpdir(), "git-server-"));
  const expected = Buffer.from(`${options.username}:${options.password}`);
  let latencyMs = 0;
  let rejected = 0;

  const server = http.createServer((req, res) => {
    const answer = () => {
      if (!authorized(req.headers.authorization, expected)) {
        rejected += 1;
        res.writeHead(401, { "WWW-Authenticate": 'Basic realm="git"' }).end("Unauthorized\n");
        return;
      }
      serveWithHttpBackend(req, res, root, options.username);
    };
    if (latencyMs > 0) setTimeout(answer, latencyMs);
    else answer();
  });
  const sockets = new Set<import("node:net").Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const port = (server.address() as import("node:net").AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;
  const barePath = (name: string) => path.join(root, `${name.replace(/\.git$/, "")}.git`);

  return {
    url, root, port,
    get rejectedRequests() { return rejected; },
    repoUrl: (name) => `${url}/${name.replace(/\.git$/, "")}.git`,
    setLatency(ms) { latencyMs = ms; },
    async createRepo(name, repoOptions = {}) {
      const bare = barePath(name);
      const branch = repoOptions.branch ?? "main";
      fs.mkdirSync(bare, { recursive: true });
      await execa("git", ["init", "--quiet", "--bare", `--initial-branch=${branch}`, bare]);
      if (repoOptions.fromDir) {
        await commitTo(bare, { fromDir: repoOptions.fromDir, branch, message: "Seed workspace" });
      }
      return bare;
    },
    commit: (name, commitOptions) => commitTo(barePath(name), commitOptions),
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (!options.root) fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

function authorized(header: string | undefined, expected: Buffer): boolean {
  if (!header?.startsWith("Basic ")) return false;
  const given = Buffer.from(header.slice("Basic ".length), "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Runs `git http-backend` as a CGI program for one request. */
function serveWithHttpBackend(req: http.IncomingMessage, res: http.ServerResponse, root: string,
  user: string): void {
  const url = new URL(req.url ?? "/", "http://localhost");
  const backend = spawn("git", ["http-backend"], {
    env: {
      PATH: process.env.PATH,
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: "1",
      // http-backend enables receive-pack (push) only for an authenticated REMOTE_USER.
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? "127.0.0.1",
      REQUEST_METHOD: req.method ?? "GET",
      PATH_INFO: decodeURIComponent(url.pathname),
      QUERY_STRING: url.search.slice(1),
      CONTENT_TYPE: req.headers["content-type"] ?? "",
      HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
      GIT_PROTOCOL: String(req.headers["git-protocol"] ?? ""),
    },
    stdio: ["pipe", "pipe", "inherit"],
  });
  req.pipe(backend.stdin);
  // A client that hangs up mid-answer must not leave http-backend running.
  res.on("close", () => { if (!res.writableFinished) backend.kill("SIGKILL"); });

  let head = Buffer.alloc(0);
  let headersSent = false;
  backend.stdout.on("data", (chunk: Buffer) => {
    if (headersSent) { res.write(chunk); return; }
    head = Buffer.concat([head, chunk]);
    const end = head.indexOf("\r\n\r\n");
    if (end < 0) return;
    headersSent = true;
    let status = 200;
    for (const line of head.subarray(0, end).toString("latin1").split("\r\n")) {
      const colon = line.indexOf(":");
      const key = line.slice(0, colon).trim();
      const value = line.slice(colon + 1).trim();
      if (key.toLowerCase() === "status") status = Number.parseInt(value, 10);
      else res.setHeader(key, value);
    }
    res.writeHead(status);
    res.write(head.subarray(end + 4));
  });
  backend.on("close", (code) => {
    if (!headersSent) res.writeHead(500).end(`git http-backend exited with ${code}\n`);
    else res.end();
  });
}

/** Makes one commit on `branch` of a bare repository through a throw-away working copy. */
async function commitTo(bare: string, options: CommitOptions): Promise<string> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "git-commit-"));
  const git = (...args: string[]) => execa("git", args, { cwd: work, env: author });
  try {
    const branch = options.branch ?? (await defaultBranch(bare));
    await git("init", "--quiet", `--initial-branch=${branch}`);
    await git("remote", "add", "origin", bare);
    const remote = await git("ls-remote", "--heads", "origin", branch);
    if (remote.stdout.trim() !== "") {
      await git("fetch", "--quiet", "origin", branch);
      await git("reset", "--quiet", "--hard", "FETCH_HEAD");
    }
    if (options.fromDir) {
      for (const entry of fs.readdirSync(work)) {
        if (entry !== ".git") fs.rmSync(path.join(work, entry), { recursive: true });
      }
      fs.cpSync(options.fromDir, work, { recursive: true, filter: (src) => keep(src) });
    }
    for (const [file, content] of Object.entries(options.files ?? {})) {
      const target = path.join(work, file);
      if (content === null) fs.rmSync(target, { force: true });
      else {
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, content);
      }
    }
    await git("add", "--all");
    await git("commit", "--quiet", "--allow-empty", "-m", options.message ?? "Update workspace");
    await git("push", "--quiet", "origin", `HEAD:refs/heads/${branch}`);
    return (await git("rev-parse", "HEAD")).stdout.trim();
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function defaultBranch(bare: string): Promise<string> {
  const head = await execa("git", ["symbolic-ref", "--short", "HEAD"], { cwd: bare });
  return head.stdout.trim();
}

/** Seeding copies the workspace as a user would commit it, without caches. */
function keep(src: string): boolean {
  const name = path.basename(src);
  return name !== "__pycache__" && name !== ".pytest_cache" && !name.endsWith(".pyc");
}
