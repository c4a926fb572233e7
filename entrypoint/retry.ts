/** Retrying transient failures with exponential backoff; abort handling shared by the phases. */

export interface RetryOptions {
  /** Further attempts after the first one fails. */
  retries: number;
  signal: AbortSignal;
  /** Only failures this returns true for are retried; the others are thrown at once. */
  isTransient(error: unknown): boolean;
  /** Called before each wait, e.g. to log what failed and when the next attempt starts. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
  /** First wait; each further wait doubles, up to `maxDelayMs`. */
  baseDelayMs?: number;
  maxDelayMs?: number;
}

/** Runs `attempt` until it succeeds, fails for a non-transient reason, or retries run out. */
export async function withRetries<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 30_000;
  for (let failures = 0; ; failures += 1) {
    throwIfAborted(options.signal);
    try {
      return await attempt();
    } catch (error) {
      if (isAbortError(error) || failures >= options.retries || !options.isTransient(error)) {
        throw error;
      }
      const delayMs = Math.min(base * 2 ** failures, max);
      options.onRetry?.(error, failures + 1, delayMs);
      await sleep(delayMs, options.signal);
    }
  }
}

/** The error every phase rejects with when its signal is aborted (name "AbortError"). */
export function abortError(what = "workspace sync"): Error {
  return new DOMException(`${what} was aborted`, "AbortError");
}

export function isAbortError(error: unknown): boolean {
  return error instanceof Error && error.name === "AbortError";
}

export function throwIfAborted(signal: AbortSignal, what?: string): void {
  if (signal.aborted) throw abortError(what);
}

/** Waits, but rejects with an AbortError as soon as the signal is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(abortError());
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError());
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
