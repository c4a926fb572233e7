/** The start and the outcome of every startup phase, logged the same way with its duration. */
import type { Logger } from "pino";

import { describeError } from "./errors.js";

/** What a phase reports when it finishes: an outcome word, log level and any extra fields. */
export interface PhaseReport {
  outcome: string;
  message: string;
  level?: "info" | "warn" | "error";
  fields?: Record<string, unknown>;
}

/**
 * Runs one phase: logs `{phase, step: "start"}`, then `{phase, outcome, durationMs}` with the
 * report's level, or `{outcome: "failed" | "stopped"}` with the error before rethrowing it.
 */
export async function runPhase<T>(log: Logger, phase: string, description: string,
  run: () => Promise<T>, report: (result: T) => PhaseReport): Promise<T> {
  const started = Date.now();
  log.info({ phase, step: "start" }, description);
  let result: T;
  try {
    result = await run();
  } catch (error) {
    const stopped = error instanceof Error &&
      (error.name === "AbortError" || error.name === "StoppedBySignal");
    log[stopped ? "warn" : "error"]({ phase, outcome: stopped ? "stopped" : "failed",
      durationMs: Date.now() - started, error: describeError(error) },
    `${stopped ? "stopped" : "failed"}: ${describeError(error)}`);
    throw error;
  }
  const done = report(result);
  log[done.level ?? "info"]({ phase, outcome: done.outcome, durationMs: Date.now() - started,
    ...done.fields }, done.message);
  return result;
}
