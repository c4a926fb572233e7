/** The outcome of the demo's flow run: statistics, failure logs, and the JSON summary for tests. */
import fs from "node:fs";
import path from "node:path";

import { say, sayBlock } from "./demo-console.js";
import type { StoredObject } from "./demo-bucket.js";
import type { FlowRun, PrefectApi } from "./demo-prefect-api.js";

/** The table artifact the tutorial flow publishes (ARTIFACT_KEY in its flow file). */
export const statisticsArtifactKey = "nyc-green-taxi-stats";

export interface Statistics {
  description: string | null;
  /** The artifact's rows as the flow formatted them, e.g. { metric: "trips in total", ... }. */
  rows: { metric: string; value: string }[];
  /** "2025-01" → trips, read back from the rows. */
  tripsPerMonth: Record<string, number>;
  totalTrips: number | null;
}

export interface DemoSummary {
  flowRunId: string;
  flowRunName: string;
  deploymentId: string;
  deploymentName: string;
  state: string;
  stateName: string;
  stateMessage: string | null;
  statistics: Statistics | null;
  objects: StoredObject[];
  uiUrl: string;
  flowRunUrl: string;
  deploymentsUrl: string;
  timings: { stackReadySeconds: number; runSeconds: number; totalSeconds: number };
  logDir: string;
}

/** Reads the statistics artifact of a flow run; undefined when the flow published none. */
export async function readStatistics(api: PrefectApi, flowRunId: string):
  Promise<Statistics | undefined> {
  const artifacts = await api.artifactsOf(flowRunId);
  const artifact = artifacts.find((a) => a.key === statisticsArtifactKey);
  if (!artifact) return undefined;
  // Prefect stores a table artifact's rows as a JSON string.
  const data = typeof artifact.data === "string" ? JSON.parse(artifact.data) : artifact.data;
  const rows = (data as { metric: string; value: string }[]).map((row) => ({
    metric: String(row.metric), value: String(row.value),
  }));
  const tripsPerMonth: Record<string, number> = {};
  let totalTrips: number | null = null;
  for (const { metric, value } of rows) {
    const month = /^trips in (\d{4}-\d{2})$/.exec(metric)?.[1];
    if (month) tripsPerMonth[month] = count(value);
    if (metric === "trips in total") totalTrips = count(value);
  }
  return { description: artifact.description, rows, tripsPerMonth, totalTrips };
}

/**
 * Prints what a finished run left behind: its statistics when it completed, else the reason and
 * the end of its log. Returns the statistics, if any.
 */
export async function reportOutcome(api: PrefectApi, run: FlowRun,
  context: { downloadsFromInternet: boolean }): Promise<Statistics | undefined> {
  if (run.state_type === "COMPLETED") {
    const statistics = await readStatistics(api, run.id);
    if (statistics) printStatistics(statistics);
    else say("the run completed but published no statistics artifact");
    return statistics;
  }
  say(`flow run ${run.name} ended ${run.state_type}: ${run.state?.message ?? ""}`);
  await printLastLogs(api, run);
  if (context.downloadsFromInternet) {
    say("the flow downloads from the public TLC distribution unless told otherwise; offline, " +
      "serve local copies with --tlc-dir <folder of green_tripdata_YYYY-MM.parquet files>");
  }
  return undefined;
}

export function printStatistics(stats: Statistics): void {
  say(`statistics (table artifact "${statisticsArtifactKey}"): ${stats.description ?? ""}`);
  const width = Math.max(...stats.rows.map((row) => row.metric.length));
  sayBlock(stats.rows.map((row) => `${row.metric.padEnd(width)}  ${row.value}`));
}

export function printObjects(where: string, objects: StoredObject[]): void {
  if (objects.length === 0) {
    say(`no objects under ${where}`);
    return;
  }
  say(`objects under ${where}:`);
  sayBlock(objects.map((o) => `${o.key}  ${o.size.toLocaleString("en-US")} bytes`));
}

const levels: Record<number, string> = { 10: "DEBUG", 20: "INFO", 30: "WARNING", 40: "ERROR",
  50: "CRITICAL" };

/** Prints the end of what a failed run logged, so the cause is on the terminal. */
export async function printLastLogs(api: PrefectApi, run: FlowRun, maxLines = 40): Promise<void> {
  const logs = await settledLogs(api, run.id, 20);
  const lines = logs.flatMap((log) => {
    const head = `${log.timestamp.slice(11, 19)} ${levels[log.level] ?? log.level}`;
    // A traceback's first and last lines (what was running, what was raised) tell the story.
    const [first, ...rest] = log.message.trimEnd().split("\n");
    return rest.length === 0 ? [`${head} ${first}`]
      : [`${head} ${first}`, `  … ${rest.length - 1} lines …`, `  ${rest.at(-1)!.trim()}`];
  });
  say(`the end of flow run ${run.name}'s log (all of it is on its page in the UI):`);
  sayBlock(lines.slice(-maxLines));
}

/**
 * The run's last log lines once they stop arriving: a flow run ships its logs in batches, so the
 * final lines reach the server a moment after the final state does.
 */
async function settledLogs(api: PrefectApi, flowRunId: string, limit: number) {
  let logs = await api.lastLogsOf(flowRunId, limit);
  for (let polls = 0; polls < 10; polls += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const again = await api.lastLogsOf(flowRunId, limit);
    if (again.at(-1)?.timestamp === logs.at(-1)?.timestamp) return again;
    logs = again;
  }
  return logs;
}

/** Writes the summary atomically, so a reader polling for the file never sees half of it. */
export function writeSummary(file: string, summary: DemoSummary): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.partial`;
  fs.writeFileSync(partial, `${JSON.stringify(summary, null, 2)}\n`);
  fs.renameSync(partial, file);
}

function count(text: string): number {
  return Number(text.replace(/[^0-9]/g, ""));
}
