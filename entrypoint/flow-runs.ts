/**
 * Flow runs that outlive the worker. Prefect's process worker starts each flow run in a session
 * of its own, so reaping the worker's process group never reaches it; and a worker that is killed
 * (a second stop signal makes Prefect's worker kill itself at once) leaves its flow runs running
 * under PID 1. Flow runs inherit the worker's environment, so the marker below finds them.
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
  const pids = markedProcesses();
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Ended in the meantime.
    }
  }
  return pids;
}

/** Live processes carrying the marker; none where /proc cannot be read (not Linux). */
function markedProcesses(): number[] {
  const needle = `${flowRunMarker.name}=${flowRunMarker.value}`;
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((entry) => /^\d+$/.test(entry));
  } catch {
    return [];
  }
  return entries.map(Number).filter((pid) => pid !== process.pid && carries(pid, needle));
}

function carries(pid: number, needle: string): boolean {
  try {
    // A zombie has ended already: a signal changes nothing, only its parent can remove it.
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) return false;
    return fs.readFileSync(`/proc/${pid}/environ`, "utf8").split("\0").includes(needle);
  } catch {
    // Ended while being read, or another user's process.
    return false;
  }
}
