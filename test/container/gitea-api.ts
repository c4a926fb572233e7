/**
 * A stand-in for the slice of Gitea's REST API that docker/gitea-seed.sh calls, written from
 * Gitea's API documentation, in front of the real git server of stack/git-server.ts (pushes go
 * through git's own http-backend). Accounts and tokens are the files the `gitea` stand-in
 * command writes. It proves the seed job's own logic; Gitea itself is met only by
 * `docker compose up`.
 */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

import type { GitServer } from "../../stack/git-server.js";

export interface GiteaApi {
  readonly url: string;
  stop(): Promise<void>;
}

type Reply = [status: number, body?: unknown];

export async function startGiteaApi(state: string, git: GitServer): Promise<GiteaApi> {
  const password = (user: string) => readOr(path.join(state, "users", user), undefined);
  const tokenOwner = (token: string) => fs.readdirSync(path.join(state, "tokens"))
    .map((name) => fs.readFileSync(path.join(state, "tokens", name), "utf8").split(" "))
    .find(([, value]) => value === token)?.[0];
  const repoDir = (owner: string, name: string) => path.join(git.root, owner, `${name}.git`);
  const isEmpty = (dir: string) => fs.readdirSync(path.join(dir, "refs", "heads")).length === 0 &&
    !fs.existsSync(path.join(dir, "packed-refs"));

  async function answer(req: http.IncomingMessage, body: string): Promise<Reply> {
    const auth = req.headers.authorization ?? "";
    const byToken = auth.startsWith("token ") ? tokenOwner(auth.slice(6)) : undefined;
    const [basicUser, basicPassword] = auth.startsWith("Basic ")
      ? Buffer.from(auth.slice(6), "base64").toString().split(/:(.*)/s) : [];
    const byPassword = basicUser && password(basicUser) === basicPassword ? basicUser : undefined;
    const parts = new URL(req.url ?? "/", "http://x").pathname.split("/").slice(3);
    const route = `${req.method} ${parts[0]}`;

    if (route === "PATCH admin" && byToken) {
      const edit = JSON.parse(body) as { login_name: string; password: string };
      if (parts[2] !== edit.login_name) return [422, { message: "login_name mismatch" }];
      fs.writeFileSync(path.join(state, "users", parts[2]!), edit.password);
      return [200, { login: parts[2] }];
    }
    if (route === "GET repos" && byToken) {
      const dir = repoDir(parts[1]!, parts[2]!);
      return fs.existsSync(dir) ? [200, { empty: isEmpty(dir) }] : [404, { message: "not found" }];
    }
    if (route === "POST user" && parts[1] === "repos" && byToken) {
      const { name } = JSON.parse(body) as { name: string };
      await git.createRepo(`${byToken}/${name}`);
      return [201, { name, empty: true }];
    }
    // Gitea manages tokens only for a user signed in with a password, never with a token.
    if (route === "DELETE users" && parts[2] === "tokens" && byPassword === parts[1]) {
      fs.rmSync(path.join(state, "tokens", parts[3]!));
      return [204];
    }
    return [byToken || byPassword ? 404 : 401, { message: `${route} is not served here` }];
  }

  const server = http.createServer((req, res) => {
    if (!req.url?.startsWith("/api/v1/")) {
      proxy(req, res, git.url);
      return;
    }
    let body = "";
    req.on("data", (chunk: Buffer) => { body += chunk.toString(); });
    req.on("end", () => {
      answer(req, body).then(([status, reply]) => {
        res.writeHead(status, { "Content-Type": "application/json" });
        res.end(reply === undefined ? undefined : JSON.stringify(reply));
      }, (error: Error) => res.writeHead(500).end(error.message));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Passes a git smart-HTTP request on to the git server, credentials and all. */
function proxy(req: http.IncomingMessage, res: http.ServerResponse, target: string): void {
  const forward = http.request(`${target}${req.url}`,
    { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
  forward.on("error", (error) => res.writeHead(502).end(error.message));
  req.pipe(forward);
}

function readOr<T>(file: string, fallback: T): string | T {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : fallback;
}
