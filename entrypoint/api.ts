/**
 * Waiting for the Prefect API. `/api/ready` is polled rather than `/api/health`: only `ready`
 * checks that the server reaches its database, and a server that answers without one fails every
 * call that follows. Both answer without auth, even on a server with an auth string.
 *
 * A small loop rather than wait-on: it needs the abort signal (a `docker stop` during the wait),
 * and its timeout message must carry the last error seen, which wait-on does not report.
 */
import { setTimeout as sleep } from "node:timers/promises";

import type { Logger } from "pino";

import { PrefectApiError } from "./errors.js";
import type { PrefectApi } from "./prefect-api.js";

export interface ApiReady {
  attempts: number;
}

const firstDelayMs = 250;
const maxDelayMs = 5000;
/** How often a still-waiting line is logged; every failed attempt goes to debug. */
const progressEveryMs = 10_000;

/** Resolves once the API says ready; throws a PrefectApiError after `timeoutMs`. */
export async function waitForApi(api: PrefectApi, timeoutMs: number, signal: AbortSignal,
  log: Logger): Promise<ApiReady> {
  const started = Date.now();
  let lastError = "no attempt finished";
  let lastProgress = started;
  let delayMs = firstDelayMs;

  for (let attempt = 1; ; attempt += 1) {
    const remaining = timeoutMs - (Date.now() - started);
    try {
      await api.request("GET", "/ready",
        { timeoutMs: Math.max(1000, Math.min(5000, remaining)) });
      return { attempts: attempt };
    } catch (error) {
      if (signal.aborted) throw error;
      // A refused credential does not get better by waiting.
      if (error instanceof PrefectApiError && (error.status === 401 || error.status === 403)) {
        throw error;
      }
      lastError = error instanceof Error ? error.message : String(error);
      // Usually a URL without /api; a proxy may also answer 404 until its backend is up.
      if (error instanceof PrefectApiError && error.status === 404 && attempt === 1) {
        log.warn({ phase: "api", error: lastError }, `${api.shownUrl}/ready answered 404: ` +
          "check that PREFECT_API_URL ends with /api; waiting in case a proxy is still starting");
      }
      log.debug({ phase: "api", attempt, error: lastError }, "the Prefect API is not ready yet");
    }

    const waited = Date.now() - started;
    if (waited >= timeoutMs) {
      throw new PrefectApiError(`the Prefect API at ${api.shownUrl} was not ready within ` +
        `${Math.round(timeoutMs / 1000)} s (API_READY_TIMEOUT_SECONDS) after ${attempt} ` +
        `attempts; last error: ${lastError}. Check that the server runs and that ` +
        "PREFECT_API_URL is reachable from this container", {});
    }
    if (Date.now() - lastProgress >= progressEveryMs) {
      lastProgress = Date.now();
      log.info({ phase: "api", attempt, waitedMs: waited, error: lastError },
        `still waiting for ${api.shownUrl}/ready`);
    }
    // The last attempt is made at the deadline, not one backoff step before it.
    await sleep(Math.min(delayMs, timeoutMs - waited), undefined, { signal });
    delayMs = Math.min(delayMs * 2, maxDelayMs);
  }
}
