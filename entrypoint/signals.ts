/**
 * Stop signals. `docker stop` sends SIGTERM to the entrypoint (PID 1 or tini's child), Ctrl-C
 * sends SIGINT, a closing terminal SIGHUP. Before the worker runs, the first one aborts the
 * current phase (its git or prefect child is stopped) and the entrypoint exits with 128 + n;
 * once the worker runs, the first one is passed on to it and it decides how to wind down.
 */
import type { Logger } from "pino";

import { killAllGroups } from "./children.js";
import { signalExitStatus, StoppedBySignal } from "./errors.js";
import { killFlowRuns, runningFlowRunIds } from "./flow-runs.js";

const stopSignals: NodeJS.Signals[] = ["SIGTERM", "SIGINT", "SIGHUP"];

export class StopSignals {
  private readonly controller = new AbortController();
  private readonly anyStop = new AbortController();
  /** Aborted by the first stop signal that arrives before the worker runs. */
  readonly signal: AbortSignal = this.controller.signal;
  /** Aborted by the first stop signal in any phase, the worker's included. */
  readonly stopping: AbortSignal = this.anyStop.signal;
  received: NodeJS.Signals | undefined;
  /** Flow runs alive when the stop signal reached the worker, which ends them within moments. */
  flowRunsAtStop: string[] = [];
  private workerPid: number | undefined;
  /** Set once the worker has exited: the entrypoint is only cleaning up after it. */
  private windingDown = false;
  private log: Logger | undefined;
  private phase = "startup";

  /** `hardStopMs`: how long an aborted phase may take to unwind before the process exits anyway. */
  constructor(private readonly hardStopMs = 4000) {}

  /** Starts listening; also makes sure nothing we started survives the entrypoint's exit. */
  install(): this {
    for (const name of stopSignals) process.on(name, () => this.receive(name));
    process.on("exit", () => {
      killAllGroups();
      killFlowRuns();
    });
    return this;
  }

  useLogger(log: Logger): void {
    this.log = log;
  }

  /** Names the running phase, for the "stopped during ..." message. */
  enter(phase: string): void {
    this.phase = phase;
  }

  /** From now on signals go to this process instead of aborting the startup. */
  forwardTo(pid: number): void {
    this.workerPid = pid;
  }

  /**
   * The worker has exited. What is left (stopping its flow runs, marking them as crashed) takes
   * seconds at most, and a further signal (Docker and `timeout` may send two) must not cut it.
   */
  windDown(): void {
    this.workerPid = undefined;
    this.windingDown = true;
  }

  throwIfStopped(): void {
    if (this.received) throw new StoppedBySignal(this.received, this.phase);
  }

  private receive(name: NodeJS.Signals): void {
    if (this.windingDown) {
      this.received ??= name;
      this.anyStop.abort();
      this.log?.warn({ phase: "worker", signal: name },
        `received ${name} while cleaning up after the worker; finishing that first`);
      return;
    }
    if (this.workerPid !== undefined) {
      // `timeout` and Docker may deliver SIGTERM twice. Prefect's worker takes a second stop
      // signal as the order to SIGKILL itself, leaving its flow runs behind; Docker's own SIGKILL
      // after the grace period remains the hard stop.
      if (this.received) {
        this.log?.warn({ phase: "worker", signal: name },
          `received ${name}: already stopping; waiting for the worker to exit`);
        return;
      }
      this.log?.info({ phase: "worker", signal: name },
        `received ${name}, passing it to the worker`);
      this.received = name;
      this.anyStop.abort();
      this.flowRunsAtStop = runningFlowRunIds();
      try {
        process.kill(this.workerPid, name);
      } catch {
        // The worker has just exited; its exit ends the entrypoint.
      }
      return;
    }
    if (this.received) {
      this.log?.warn({ phase: this.phase, signal: name }, `received ${name} again, exiting now`);
      this.exitNow(this.received);
    }
    this.received = name;
    this.log?.warn({ phase: this.phase, signal: name }, `received ${name} during ${this.phase}, ` +
      "stopping");
    this.controller.abort(new StoppedBySignal(name, this.phase));
    this.anyStop.abort();
    // A phase that does not unwind in time (a child ignoring SIGTERM) must not hold up the stop.
    setTimeout(() => this.exitNow(name), this.hardStopMs).unref();
  }

  private exitNow(name: NodeJS.Signals): never {
    killAllGroups();
    killFlowRuns();
    process.exit(signalExitStatus(name));
  }
}
