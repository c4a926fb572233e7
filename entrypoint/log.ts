/**
 * Logging: one line per event on stdout, JSON by default (for `docker logs` piped into a log
 * system), or LOG_FORMAT=pretty for people reading a terminal. Every line passes through
 * secret redaction on its way out, whatever a caller put into it.
 */
import pino, { type DestinationStream, type Logger } from "pino";

import { redactSecrets } from "./redact.js";

export type { Logger } from "pino";

export interface LogSettings {
  level: string;
  format: "json" | "pretty";
}

/** A logger writing synchronously to stdout (or `destination`), so nothing is lost on exit. */
export function createLogger(settings: LogSettings, secrets: string[],
  destination?: DestinationStream): Logger {
  const out = destination ?? pino.destination({ dest: 1, sync: true });
  const stream = settings.format === "pretty" ? prettyStream(out) : out;
  return pino({
    level: settings.level,
    base: undefined,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    hooks: { streamWrite: (line) => (secrets.length > 0 ? redactLine(line, secrets) : line) },
  }, stream);
}

/** Fields pino itself writes; they carry no caller data and stay readable whatever the secret. */
const ownFields = new Set(["time", "level"]);

/**
 * Masks secrets inside the values of one JSON line, never in its keys, numbers or pino's own
 * fields: a short password such as "info" or "2" must not turn `"level":"info"` or a timestamp
 * into `***` (which would both break the JSON and point at the password).
 */
export function redactLine(line: string, secrets: string[]): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return redactSecrets(line, secrets);
  }
  const masked = Object.fromEntries(Object.entries(entry).map(([key, value]) =>
    [key, ownFields.has(key) ? value : maskValue(value, secrets)]));
  return `${JSON.stringify(masked)}\n`;
}

function maskValue(value: unknown, secrets: string[]): unknown {
  if (typeof value === "string") return redactSecrets(value, secrets);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, secrets));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) =>
      [key, maskValue(item, secrets)]));
  }
  return value;
}

const hidden = new Set(["time", "level", "msg", "phase"]);

/** Turns each JSON line into `12:00:01.234 INFO  phase: message key=value ...`. */
function prettyStream(out: DestinationStream): DestinationStream {
  return { write: (line: string) => out.write(formatPretty(line)) };
}

export function formatPretty(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time = typeof entry.time === "string" ? entry.time.slice(11, 23) : "";
  const level = String(entry.level ?? "").toUpperCase().padEnd(5);
  const phase = entry.phase ? `${String(entry.phase)}: ` : "";
  const fields = Object.entries(entry)
    .filter(([key]) => !hidden.has(key) && key !== "err")
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  const text = [`${time} ${level} ${phase}${String(entry.msg ?? "")}`, ...fields].join(" ");
  return `${text}${formatStack(entry.err)}\n`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  return JSON.stringify(value);
}

function formatStack(err: unknown): string {
  if (typeof err !== "object" || err === null) return "";
  const stack = (err as { stack?: unknown }).stack;
  if (typeof stack !== "string") return "";
  return `\n${stack.split("\n").map((line) => `    ${line.trim()}`).join("\n")}`;
}
