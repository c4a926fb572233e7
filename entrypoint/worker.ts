/**
 * The worker phase: `prefect worker start` for the pool, with its health server on, for as long
 * as the container lives. Its output goes straight to the container's stdout in Prefect's own
 * format: nothing of ours sits between a long-running worker and `docker logs`.
 */
import net from "node:net";

import type { Logger } from "pino";

import { runChild } from "./children.js";
import { EntrypointError, ExitStatus, signalExitStatus } from "./errors.js";
import { runningFlowRunIds, stopFlowRuns } from "./flow-runs.js";
import { reportInterruptedFlowRuns } from "./interrupted-runs.js";
import type { PrefectApi } from "./prefect-api.js";
import type { StopSignals } from "./signals.js";

export interface WorkerOptions {
  /** Where Prefect's health server (`--with-healthcheck`) listens. */
  health: { host: string; port: number };
  pool: string;
  type: string;
  /** Extra arguments from the entrypoint's command line. */
  args: string[];
  env: NodeJS.ProcessEnv;
  stop: StopSignals;
  /** For reporting the flow runs that the worker's stop cut short. */
  api: PrefectApi;
  log: Logger;
}

/** Runs the worker to its end and returns the status the entrypoint should exit with. */
export async function runWorker(options: WorkerOptions): Promise<number> {
  const args = ["worker", "start", "--pool", options.pool, "--type", options.type,
    "--with-healthcheck", ...options.args];
  const { log, stop } = options;
  log.info({ phase: "worker", step: "start", command: ["prefect", ...args].join(" ") },
    "starting the worker");
  const busy = await addressInUse(options.health);
  if (busy) {
    // Prefect only logs the bind error and runs on without a health endpoint.
    log.warn({ phase: "worker", ...options.health, error: busy }, `${options.health.host}:` +
      `${options.health.port} is in use (${busy}): the worker will run without its health ` +
      "endpoint and the image's HEALTHCHECK will fail; set WORKER_HEALTH_PORT to a free port");
  }

  const exit = await runChild("prefect", args, {
    env: options.env,
    // The first stop signal is passed on to the worker, which stops polling and winds its flow
    // runs down as Prefect decides; the worker's group is cleaned up only after it has exited.
    // A SIGTERM that arrives before Python has installed Prefect's handler ends the worker at
    // once (143).
    onStart: (pid) => stop.forwardTo(pid),
  });
  const exited = `the worker exited ${exit.signal ? `by ${exit.signal}` : `with ${exit.exitCode}`}`;
  const why = stop.received ? `the worker was stopped by ${stop.received}` : exited;
  stop.windDown();
  // Flow runs live in sessions of their own, out of the group's reach; none may outlive it.
  const interrupted = [...new Set([...stop.flowRunsAtStop, ...runningFlowRunIds()])];
  if (interrupted.length > 0) {
    log.info({ phase: "worker", step: "clean-up", flowRuns: interrupted }, `${exited}; cleaning ` +
      `up after the ${interrupted.length} flow run(s) it was running`);
  }
  await stopFlowRuns(log);
  if (interrupted.length > 0) {
    await reportInterruptedFlowRuns(options.api, interrupted, why, log);
  }

  if (exit.startError) {
    throw new EntrypointError(`the worker could not be started: ${exit.startError}; check that ` +
      "prefect is installed and on PATH", { exitStatus: ExitStatus.unavailable });
  }
  const status = exit.signal ? signalExitStatus(exit.signal) : exit.exitCode ?? ExitStatus.software;
  log[status === 0 ? "info" : "warn"]({ phase: "worker", outcome: "exited", exitCode: exit.exitCode,
    signal: exit.signal, durationMs: exit.durationMs, exitStatus: status }, exited);
  return status;
}

/** The error code when nothing else may listen on the address now, else undefined. */
function addressInUse(address: { host: string; port: number }): Promise<string | undefined> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    probe.listen(address.port, address.host, () => probe.close(() => resolve(undefined)));
  });
}
