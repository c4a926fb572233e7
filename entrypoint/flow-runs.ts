/**
 * Flow runs that outlive the worker. Prefect's process worker starts each flow run in a session
 * of its own, so reaping the worker's process group never reaches it; and a worker that is killed
 * (a second stop signal makes Prefect's worker kill itself at once) leaves its flow runs running
 * under PID 1. Flow runs inherit the worker's environment, so the marker below finds them.
 *
 * Prefect's worker also ends its flow runs when it stops, without telling the server: the runs
 * would show "Running" for ever. The ids of the runs a stop interrupted are taken here, from the
 * PREFECT__FLOW_RUN_ID Prefect gives each run's process, and the runs are reported as crashed.
 */
import { randomUUID } from "node:crypto";
import fs from "node:fs";

import type { Logger } from "pino";

/** Set in the worker's environment only; every flow run it starts carries it too. */
export const flowRunMarker = { name: "PREFECT_WORKER_ENTRYPOINT_ID", value: randomUUID() };

/** Stops every marked process: SIGTERM, then SIGKILL for what remains after `graceMs`. */
export async function stopFlowRuns(log: Logger, graceMs = 3000): Promise<void> {
  const pids = signalMarked("SIGTERM");
  if (pids.length === 0) return;

  const deadline = Date.now() + graceMs;
  while (markedProcesses().length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const killed = signalMarked("SIGKILL");
  log.warn({ phase: "worker", step: "flow-runs", pids, killed },
    `stopped ${pids.length} process(es) the worker left running (flow runs)`);
}

/** The hard-exit path, which cannot wait: SIGKILL at once. */
export function killFlowRuns(): void {
  signalMarked("SIGKILL");
}

function signalMarked(signal: NodeJS.Signals): number[] {
  const pids = markedProcesses().map(({ pid }) => pid);
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Ended in the meantime.
    }
  }
  return pids;
}

/** The ids of the flow runs whose processes are alive now (a run's children share its id). */
export function runningFlowRunIds(): string[] {
  const ids = markedProcesses().map(({ environment }) => environment
    .find((variable) => variable.startsWith(flowRunIdVariable))
    ?.slice(flowRunIdVariable.length));
  return [...new Set(ids.filter((id): id is string => id !== undefined && id !== ""))];
}

const flowRunIdVariable = "PREFECT__FLOW_RUN_ID=";

/** Live processes carrying the marker; none where /proc cannot be read (not Linux). */
function markedProcesses(): { pid: number; environment: string[] }[] {
  const needle = `${flowRunMarker.name}=${flowRunMarker.value}`;
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => pid !== process.pid)
    .map((pid) => ({ pid, environment: environmentOf(pid) }))
    .filter(({ environment }) => environment.includes(needle));
}

function environmentOf(pid: number): string[] {
  try {
    // A zombie has ended already: a signal changes nothing, only its parent can remove it.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return [];
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
  } catch {
    // Ended while being read, or another user's process.
    return [];
  }
}
