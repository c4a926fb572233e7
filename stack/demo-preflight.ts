/** Checks and preparations before the demo starts anything: state, bundle, port, TLC files. */
import fs from "node:fs";
import net from "node:net";
import path from "node:path";

import { execa } from "execa";

import { DemoError } from "./demo-stack.js";
import { bundlePath, repoRoot } from "./paths.js";

/**
 * Makes this process the state folder's only user: a second demo on the same folder would wipe
 * the first one's checkout and repositories.
 */
export function claimStateDir(stateDir: string): void {
  const pidFile = path.join(stateDir, "demo.pid");
  const holder = Number.parseInt(readOrEmpty(pidFile), 10);
  if (Number.isInteger(holder) && holder !== process.pid && isRunning(holder)) {
    throw new DemoError("demo", `another demo (process ${holder}) is using ${stateDir}; stop ` +
      "it with Ctrl-C, or give this one its own folder with --state-dir <dir>");
  }
  fs.mkdirSync(stateDir, { recursive: true });
  fs.writeFileSync(pidFile, `${process.pid}\n`);
}

function readOrEmpty(file: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The folders of one demo run below the state folder. */
export interface StateLayout {
  logs: string;
  prefectHome: string;
  gitRoot: string;
  flows: string;
  workerHome: string;
}

/**
 * Recreates everything but the logs folder, so each demo starts like a new container against a
 * new server: an old checkout or database would point at an earlier run's ports.
 */
export function prepareStateDir(stateDir: string): StateLayout {
  const layout = {
    logs: path.join(stateDir, "logs"),
    prefectHome: path.join(stateDir, "prefect-home"),
    gitRoot: path.join(stateDir, "git"),
    flows: path.join(stateDir, "flows"),
    workerHome: path.join(stateDir, "worker-home"),
  };
  for (const dir of [layout.prefectHome, layout.gitRoot, layout.flows, layout.workerHome]) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
  }
  fs.mkdirSync(layout.logs, { recursive: true });
  for (const log of ["prefect-server.log", "s3-server.log", "worker.log", "build.log"]) {
    fs.rmSync(path.join(layout.logs, log), { force: true });
  }
  return layout;
}

/** Builds dist/entrypoint.mjs, so the demo runs exactly the file the image runs. */
export async function buildBundle(logFile: string): Promise<string> {
  const result = await execa(process.execPath, ["scripts/build.mjs"], {
    cwd: repoRoot, all: true, reject: false,
  });
  fs.writeFileSync(logFile, result.all ?? "");
  if (result.exitCode !== 0) {
    // esbuild reports its errors first; the stack trace after them says nothing new.
    const errors = (result.all ?? "").split("\n").filter((line) => line.includes("[ERROR]"));
    throw new DemoError("bundle build", `node scripts/build.mjs exited with ${result.exitCode}: ` +
      `${errors.join("; ") || "see its log"}. Run npm run build to see the whole output`,
    { logFile });
  }
  return bundlePath;
}

/** Fails early, with the way out, when another program already listens on the port. */
export async function assertPortFree(port: number): Promise<void> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const probe = net.createServer();
    probe.once("error", (e) => resolve(e));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(undefined)));
  });
  if (!error) return;
  const reason = error.code === "EADDRINUSE" ? "is already in use"
    : `cannot be used (${error.code})`;
  throw new DemoError("Prefect server", `port ${port} on 127.0.0.1 ${reason}, so the Prefect ` +
    `server cannot start there. Stop the program using it (is another demo running?) or choose ` +
    `another port: npm run demo -- --port ${port === 4200 ? 4201 : port + 1}`, { cause: error });
}

/** The TLC parquet files in `dir`; fails when there are none to serve. */
export function tlcFilesIn(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch (error) {
    throw new DemoError("TLC file server", `cannot read --tlc-dir ${dir}: ` +
      `${(error as Error).message}`, { cause: error });
  }
  const files = names.filter((name) => /^green_tripdata_\d{4}-\d{2}\.parquet$/.test(name)).sort();
  if (files.length === 0) {
    throw new DemoError("TLC file server", `--tlc-dir ${dir} holds no ` +
      "green_tripdata_YYYY-MM.parquet files; point it at a folder of TLC Green Taxi files, or " +
      "leave it out to download them");
  }
  return files;
}
