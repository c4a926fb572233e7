/**
 * Flow runs a stopping worker took down with it. Prefect's process worker ends the processes of
 * its flow runs when it stops (`docker stop`, a restart) but leaves their state on the server as
 * it was, so the UI would show them "Running" for ever. Each one still unfinished is set to
 * Crashed, as Prefect's worker does itself when a run's process dies while it keeps running, and
 * a student sees why the run ended and can run it again.
 */
import type { Logger } from "pino";

import { describeError } from "./errors.js";
import type { PrefectApi } from "./prefect-api.js";

/** States in which a run's process is (or is about to be) running: the ones a stop cuts short. */
const interruptible = new Set(["RUNNING", "PENDING"]);

/** Short: this runs while Docker's grace period ticks. */
const requestTimeoutMs = 3000;

interface FlowRun {
  name: string;
  state_type: string | null;
}

/** Sets each of `ids` that is still unfinished to Crashed; never throws. */
export async function reportInterruptedFlowRuns(api: PrefectApi, ids: string[], why: string,
  log: Logger): Promise<void> {
  const crashed: string[] = [];
  for (const id of ids) {
    try {
      const { body: run } = await api.request<FlowRun>("GET", `/flow_runs/${id}`,
        { timeoutMs: requestTimeoutMs });
      if (!interruptible.has(run.state_type ?? "")) continue;
      await api.request("POST", `/flow_runs/${id}/set_state`, {
        timeoutMs: requestTimeoutMs,
        // force: the orchestration rules would refuse a move the run's own engine did not ask for.
        body: { force: true, state: { type: "CRASHED", name: "Crashed",
          message: `${why}; Prefect's worker ends its flow runs when it stops. Run it again.` } },
      });
      crashed.push(run.name);
    } catch (error) {
      log.warn({ phase: "worker", step: "flow-runs", flowRunId: id, error: describeError(error) },
        `could not mark flow run ${id} as crashed: ${describeError(error)}`);
    }
  }
  if (crashed.length > 0) {
    log.warn({ phase: "worker", step: "flow-runs", crashed },
      `marked ${crashed.length} interrupted flow run(s) as crashed: ${crashed.join(", ")}`);
  }
}
