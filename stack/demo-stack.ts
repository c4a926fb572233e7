/**
 * The parts of the demo's stack that are running, and stopping them all: in reverse order of
 * starting, on failure, at the end of an --exit-after-run demo, or on SIGINT/SIGTERM.
 */
import { say } from "./demo-console.js";

/** A failure of one part of the demo, with the log a user should read next. */
export class DemoError extends Error {
  override name = "DemoError";

  constructor(readonly part: string, message: string,
    options: { logFile?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.logFile = options.logFile;
  }

  readonly logFile?: string;
}

/** Runs one step of the demo; any failure becomes a DemoError naming `part` and its log. */
export async function inPart<T>(part: string, logFile: string | undefined,
  step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (error) {
    if (error instanceof DemoError) throw error;
    throw new DemoError(part, (error as Error).message, { logFile, cause: error });
  }
}

interface Stoppable {
  stop(): Promise<void>;
}

export class RunningStack {
  private readonly parts: { name: string; stop: () => Promise<void> }[] = [];
  private readonly starting = new Set<Promise<unknown>>();
  private stopped?: Promise<void>;
  /** Set once a signal arrived: from then on the signal handler decides the exit. */
  signalled = false;

  /** True once stopping has begun; later failures are consequences, not news. */
  get stopping(): boolean {
    return this.stopped !== undefined;
  }

  /**
   * Starts one part and remembers it for stopping; a failure becomes a DemoError for `part`.
   * Once stopping has begun nothing new starts, and a part that comes up late is stopped at once.
   */
  async start<T extends Stoppable>(part: string, logFile: string | undefined,
    begin: () => Promise<T>): Promise<T> {
    if (this.stopping) throw new DemoError(part, "not started: the stack is stopping");
    const started = begin().then(async (running) => {
      if (this.stopping) {
        await running.stop();
        say(`stopped the ${part}`);
        throw new DemoError(part, "stopped as soon as it was up: the stack is stopping");
      }
      this.parts.push({ name: part, stop: () => running.stop() });
      return running;
    });
    this.starting.add(started);
    try {
      return await inPart(part, logFile, () => started);
    } finally {
      this.starting.delete(started);
    }
  }

  /** Stops every part, the newest first; a part that fails to stop does not keep others up. */
  stopAll(): Promise<void> {
    this.stopped ??= (async () => {
      // A part still starting (a signal arrived mid-start) stops itself once it is up.
      await Promise.allSettled([...this.starting]);
      for (const part of this.parts.reverse()) {
        try {
          await part.stop();
          say(`stopped the ${part.name}`);
        } catch (error) {
          say(`could not stop the ${part.name}: ${(error as Error).message}`);
        }
      }
    })();
    return this.stopped;
  }

  /**
   * On SIGINT (Ctrl-C), SIGTERM or SIGHUP (terminal closed): stop everything, then exit 0;
   * a second signal exits at once.
   */
  stopOnSignals(): void {
    // Without a terminal (or with a closed pipe) writes fail with EPIPE; stopping must go on.
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);

    let firstSignalAt = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (this.signalled) {
        // Ctrl-C under `npm run` can arrive twice at once: from the terminal and from npm.
        if (Date.now() - firstSignalAt < 2000) return;
        say(`${signal} again: exiting without waiting; some processes may be left running`);
        process.exit(130);
      }
      this.signalled = true;
      firstSignalAt = Date.now();
      say(`${signal} received: stopping the stack`);
      void this.stopAll().then(() => process.exit(0));
    };
    for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, onSignal);
  }
}
