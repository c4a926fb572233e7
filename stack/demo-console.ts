/** What the demo prints: its own lines, and the lines of the processes it runs, each prefixed. */
import readline from "node:readline";
import type { Readable, Writable } from "node:stream";

/** Prints one line of the demo's own. */
export function say(message: string): void {
  process.stdout.write(`[demo] ${message}\n`);
}

/** Prints an indented block (a table, log lines) under the last `say`. */
export function sayBlock(lines: string[]): void {
  for (const line of lines) process.stdout.write(`[demo]   ${line}\n`);
}

/** Copies every line of `stream` to `log`, and to the terminal with `prefix` unless quiet. */
export function relayLines(stream: Readable, options: { prefix: string; log: Writable;
  quiet: boolean }): void {
  const lines = readline.createInterface({ input: stream, crlfDelay: Infinity });
  lines.on("line", (line) => {
    options.log.write(`${line}\n`);
    if (!options.quiet) process.stdout.write(`${options.prefix} ${line}\n`);
  });
}

/** Seconds since `start`, for progress lines. */
export function elapsed(start: number): string {
  return `${((Date.now() - start) / 1000).toFixed(1)} s`;
}
