/**
 * Waiting for the Prefect API: a server that comes up late is waited for, one that never comes
 * ends the entrypoint with 69 and the URL, and a server with basic auth is reached with
 * PREFECT_API_AUTH_STRING.
 */
import net from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { freePort } from "../../stack/ports.js";
import { startPrefectServer, type PrefectServer } from "../../stack/prefect-server.js";
import {
  buildBundle, processesMarked, runEntrypoint, type LogLine,
} from "./entrypoint-fixtures.js";
import { readWorkPool, waitForOnlineWorker } from "./prefect-queries.js";

let prefect: PrefectServer;
let guarded: PrefectServer;
const authString = "admin:Gu4rd-pa55";
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  await buildBundle();
  prefect = await startPrefectServer();
  // The stack starts the server with this process's environment; that is how it gets auth.
  process.env.PREFECT_SERVER_API_AUTH_STRING = authString;
  try {
    guarded = await startPrefectServer();
  } finally {
    delete process.env.PREFECT_SERVER_API_AUTH_STRING;
  }
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await Promise.all([prefect?.stop(), guarded?.stop()]);
});

/** A port that refuses connections until `delayMs` have passed, then leads to `target`. */
async function lateDoor(target: number, delayMs: number): Promise<number> {
  const port = await freePort();
  const server = net.createServer((socket) => {
    const upstream = net.connect(target, "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    socket.on("error", () => upstream.destroy());
    upstream.on("error", () => socket.destroy());
  });
  const timer = setTimeout(() => server.listen(port, "127.0.0.1"), delayMs);
  cleanups.push(() => {
    clearTimeout(timer);
    server.close();
  });
  return port;
}

const isApiOutcome = (line: LogLine) => line.phase === "api" && typeof line.outcome === "string";

describe("waiting for the Prefect API", () => {
  it("waits for an API that comes up 20 seconds late, then starts the worker", async () => {
    const port = await lateDoor(prefect.port, 20_000);
    const run = runEntrypoint({ env: { PREFECT_API_URL: `http://127.0.0.1:${port}/api`,
      WORK_POOL_NAME: "late-pool", WORKER_HEALTH_PORT: String(await freePort()) },
    args: ["--name", "late-worker"] });
    cleanups.push(() => run.stop());

    const ready = await run.waitForLog(isApiOutcome, 60_000);
    expect(ready).toMatchObject({ outcome: "ready" });
    expect(ready.durationMs).toBeGreaterThanOrEqual(19_000);
    expect(run.logs.some((l) => l.phase === "api" && /still waiting/.test(l.msg ?? ""))).toBe(true);
    await waitForOnlineWorker(prefect.apiUrl, "late-pool", "late-worker");
    expect(await run.terminate()).toEqual({ code: 0, signal: null });
  });

  it("exits 69 with the URL and the last error when the API never comes", async () => {
    const port = await freePort();
    const started = Date.now();
    const run = runEntrypoint({ env: { PREFECT_API_URL: `http://127.0.0.1:${port}/api`,
      API_READY_TIMEOUT_SECONDS: "3" } });
    cleanups.push(() => run.stop());

    expect(await run.exit).toEqual({ code: 69, signal: null });
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    const last = run.logs.at(-1);
    expect(last).toMatchObject({ exitStatus: 69 });
    expect(last?.msg).toContain(`the Prefect API at http://127.0.0.1:${port}/api was not ready ` +
      "within 3 s (API_READY_TIMEOUT_SECONDS)");
    expect(last?.msg).toMatch(/last error: .*ECONNREFUSED/);
    expect(processesMarked(run.marker)).toEqual([]);
  });

  it("reaches a server with basic auth through PREFECT_API_AUTH_STRING", async () => {
    const run = runEntrypoint({ env: { PREFECT_API_URL: guarded.apiUrl,
      PREFECT_API_AUTH_STRING: authString, WORK_POOL_NAME: "guarded-pool",
      WORKER_HEALTH_PORT: String(await freePort()) } });
    cleanups.push(() => run.stop());

    await run.waitForLog((l) => l.phase === "worker" && l.step === "start");
    const headers = { authorization: `Basic ${Buffer.from(authString).toString("base64")}` };
    const pool = await fetch(`${guarded.apiUrl}/work_pools/guarded-pool`, { headers });
    expect(pool.status).toBe(200);
    expect((await readWorkPool(guarded.apiUrl, "guarded-pool")).status).toBe(401);
    expect(run.stdout() + run.stderr()).not.toContain("Gu4rd-pa55");
    // The worker authenticates too: it shows up in the pool with a heartbeat.
    const deadline = Date.now() + 30_000;
    let workers: { status: string }[] = [];
    while (!workers.some((w) => w.status === "ONLINE") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const answer = await fetch(`${guarded.apiUrl}/work_pools/guarded-pool/workers/filter`,
        { method: "POST", headers: { ...headers, "content-type": "application/json" },
          body: "{}" });
      workers = (await answer.json()) as { status: string }[];
    }
    expect(workers.some((w) => w.status === "ONLINE")).toBe(true);
    expect(await run.terminate()).toEqual({ code: 0, signal: null });
  });

  it("exits 77 with a hint when the server refuses the auth string", async () => {
    const run = runEntrypoint({ env: { PREFECT_API_URL: guarded.apiUrl,
      PREFECT_API_AUTH_STRING: "admin:wrong-password" } });
    cleanups.push(() => run.stop());

    expect(await run.exit).toEqual({ code: 77, signal: null });
    expect(run.logs.at(-1)?.msg).toMatch(new RegExp("GET http://127.0.0.1:\\d+/api/work_pools/" +
      "local-pool answered 401: Unauthorized; check PREFECT_API_AUTH_STRING"));
    expect(run.stdout()).not.toContain("wrong-password");
  });
});
