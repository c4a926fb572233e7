/** The command line of `npm run demo`: options, defaults and the help text. */
import path from "node:path";
import { parseArgs } from "node:util";

import { stackDir } from "./paths.js";

export interface DemoOptions {
  /** Port of the Prefect server and its UI on 127.0.0.1. */
  port: number;
  /** SQLAlchemy URL of Prefect's database; undefined means a fresh SQLite file. */
  databaseUrl?: string;
  /** Folder of TLC parquet files to serve instead of the public TLC distribution. */
  tlcDir?: string;
  exitAfterRun: boolean;
  summaryFile?: string;
  /** Where logs, the checkout and the worker's home go; wiped parts are listed in the help. */
  stateDir: string;
  /** Hide the worker's output on the terminal (it is still written to its log file). */
  quiet: boolean;
  /** How long the flow run may take once triggered. */
  runTimeoutSeconds: number;
  help: boolean;
}

export const helpText = `Usage: npm run demo -- [options]

Starts a local Prefect server with its UI, a git server holding the tutorial workspace, an
S3-compatible server, and the worker entrypoint (dist/entrypoint.mjs) exactly as the image runs it;
then triggers one run of the deployment nyc-green-taxi-pipeline and prints its statistics.
The stack stays up until Ctrl-C.

Options:
  --port <n>              Prefect server and UI port on 127.0.0.1 (default 4200)
  --database-url <url>    Prefect database, e.g. postgresql+asyncpg://user:pass@host/db
                          (default: $PREFECT_API_DATABASE_CONNECTION_URL, else a new SQLite file)
  --tlc-dir <dir>         serve the TLC parquet files from this folder instead of downloading
                          them from the public TLC distribution (for machines without internet)
  --exit-after-run        stop everything after the run; exit 0 only if it COMPLETED
  --summary-file <path>   write a JSON summary of the run (state, statistics, objects, URLs)
  --state-dir <dir>       logs, git repositories, checkout and worker home (default .stack/);
                          everything but logs/ is recreated on each start
  --run-timeout <s>       how long the flow run may take once triggered (default 900)
  --quiet                 do not echo the worker's output (it stays in <state-dir>/logs/worker.log)
  -h, --help              show this help
`;

/** Thrown for a command line the demo cannot run with; the message is meant for the user. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** Parses the demo's arguments; environment variables fill in what the arguments leave out. */
export function parseDemoOptions(args: string[], env = process.env): DemoOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      options: {
        port: { type: "string" },
        "database-url": { type: "string" },
        "tlc-dir": { type: "string" },
        "exit-after-run": { type: "boolean", default: false },
        "summary-file": { type: "string" },
        "state-dir": { type: "string" },
        "run-timeout": { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message, { cause: error });
  }

  const port = positiveInteger("--port", values.port ?? "4200");
  if (port > 65535) throw new UsageError(`--port must be at most 65535, got ${port}`);
  const tlcDir = values["tlc-dir"] && path.resolve(values["tlc-dir"]);
  return {
    port,
    databaseUrl: values["database-url"] ?? (env.PREFECT_API_DATABASE_CONNECTION_URL || undefined),
    tlcDir,
    exitAfterRun: values["exit-after-run"],
    summaryFile: values["summary-file"] && path.resolve(values["summary-file"]),
    stateDir: path.resolve(values["state-dir"] ?? stackDir),
    quiet: values.quiet,
    runTimeoutSeconds: positiveInteger("--run-timeout", values["run-timeout"] ?? "900"),
    help: values.help,
  };
}

function positiveInteger(option: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    throw new UsageError(`${option} needs a positive whole number, got "${text}"`);
  }
  return value;
}

/** The options of this process; prints the help (exit 0) or a usage error (exit 2) instead. */
export function parseOptionsOrExit(args: string[]): DemoOptions {
  try {
    const options = parseDemoOptions(args);
    if (options.help) {
      process.stdout.write(helpText);
      process.exit(0);
    }
    return options;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\nSee the options with: npm run demo -- --help\n`);
    process.exit(2);
  }
}
