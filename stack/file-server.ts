/** A static file server, standing in for the public TLC distribution when offline. */
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";

export interface FileServer {
  /** e.g. http://127.0.0.1:8000, what TLC_BASE_URL is set to. */
  readonly url: string;
  /** Paths requested with GET so far, in order (HEAD requests are not counted). */
  readonly downloads: string[];
  stop(): Promise<void>;
}

/** Serves the files of `dir` (no subfolders, no listings) with Content-Length, GET and HEAD. */
export async function startFileServer(dir: string, options: { port?: number } = {}):
  Promise<FileServer> {
  const downloads: string[] = [];
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname)
      .split("/").pop() ?? "";
    const file = path.join(dir, name);
    if (name === "" || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end("Not Found\n");
      return;
    }
    const size = fs.statSync(file).size;
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": size });
    if (req.method === "HEAD") { res.end(); return; }
    downloads.push(`/${name}`);
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    downloads,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
