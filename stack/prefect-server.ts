/** A real Prefect server for the demo and the integration tests. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { freePort } from "./ports.js";
import { startService, waitUntil } from "./service.js";
import { stackDir, venvBin } from "./paths.js";

export interface PrefectServerOptions {
  /** Defaults to a free port. */
  port?: number;
  /** Serve the web UI too (slower to start); off by default for tests. */
  ui?: boolean;
  /** SQLAlchemy URL; defaults to a SQLite file in the server's own PREFECT_HOME. */
  databaseUrl?: string;
  /** PREFECT_HOME of the server; defaults to a new temporary folder. */
  home?: string;
  logFile?: string;
  /** How long to wait for /api/ready. */
  readyTimeoutMs?: number;
}

export interface PrefectServer {
  /** Base URL, e.g. http://127.0.0.1:4200 (the UI lives here). */
  readonly url: string;
  /** What PREFECT_API_URL should be set to. */
  readonly apiUrl: string;
  readonly port: number;
  readonly home: string;
  readonly logFile: string;
  stop(): Promise<void>;
}

/** Starts `prefect server start` and resolves once `/api/ready` says the database is usable. */
export async function startPrefectServer(
  options: PrefectServerOptions = {},
): Promise<PrefectServer> {
  const port = options.port ?? (await freePort());
  const home = options.home ?? fs.mkdtempSync(path.join(os.tmpdir(), "prefect-home-"));
  const logFile = options.logFile ?? path.join(stackDir, "logs", `prefect-server-${port}.log`);
  const url = `http://127.0.0.1:${port}`;

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PREFECT_HOME: home,
    PREFECT_API_URL: `${url}/api`,
    PREFECT_SERVER_ANALYTICS_ENABLED: "false",
    PREFECT_SERVER_UI_ENABLED: options.ui ? "true" : "false",
    PREFECT_LOGGING_LEVEL: "WARNING",
  };
  if (options.databaseUrl) env.PREFECT_API_DATABASE_CONNECTION_URL = options.databaseUrl;
  else env.PREFECT_API_DATABASE_CONNECTION_URL = `sqlite+aiosqlite:///${home}/prefect.db`;

  const service = startService("prefect server", venvBin("prefect"),
    ["server", "start", "--host", "127.0.0.1", "--port", String(port)], { env, logFile });

  await waitUntil(service, `ready at ${url}/api/ready`, options.readyTimeoutMs ?? 90_000,
    async () => (await fetch(`${url}/api/ready`)).ok);

  const stop = async () => {
    await service.stop();
    // A home this function made is only a temporary database: remove it with the server.
    if (!options.home) fs.rmSync(home, { recursive: true, force: true });
  };
  return { url, apiUrl: `${url}/api`, port, home, logFile, stop };
}
