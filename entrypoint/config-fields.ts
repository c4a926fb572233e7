/** Parsers for single environment variables, each failing with a message that says what to set. */
import path from "node:path";

import { z } from "zod";

import { redactUrl } from "./redact.js";

/** A quoted value for a problem message; never used for variables that hold secrets. */
const shown = (value: unknown) => JSON.stringify(value);

/**
 * A whole number of seconds, at most a day: Node's timers cannot wait longer than about 24 days
 * and fire at once instead, and no startup step should take hours.
 */
export function seconds(fallback: number) {
  return wholeNumber(fallback, 1, 86_400, " of seconds");
}

export function wholeNumber(fallback: number, min: number, max: number, unit = "") {
  const expected = `a whole number${unit} from ${min} to ${max}`;
  return z.string().default(String(fallback))
    .refine((value) => /^\d+$/.test(value) && Number(value) >= min && Number(value) <= max,
      { error: (issue) => `must be ${expected}, got ${shown(issue.input)}` })
    .transform(Number);
}

/** An http(s) URL; `hint` says what it should point at. Credentials in it are never echoed. */
export function httpUrl(hint: string) {
  return z.string({ error: `is required: ${hint}` }).refine(isHttpUrl,
    { error: (issue) => `must be an http:// or https:// URL (${hint}), got ` +
      shown(redactUrl(String(issue.input))) });
}

export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

/** A folder name for the checkout: no separators, not `.` or `..`. */
export const folderName = z.string().refine(
  (value) => /^[A-Za-z0-9._-]+$/.test(value) && value !== "." && value !== "..",
  { error: (issue) => "must be a plain folder name (letters, digits, '.', '_', '-'), got " +
    shown(issue.input) });

export const absolutePath = z.string().refine((value) => path.isAbsolute(value),
  { error: (issue) => `must be an absolute path, got ${shown(issue.input)}` });

/** git's rules for branch names, in the part that matters for a value typed by hand. */
export const branchName = z.string().refine(
  (value) => !/[\s~^:?*[\\]|\.\.|@\{/.test(value) && !value.startsWith("-") &&
    !value.startsWith("/") && !value.endsWith("/") && !value.endsWith(".lock"),
  { error: (issue) => `must be a branch name as git accepts it, got ${shown(issue.input)}` });

/** Prefect answers 403 to a work pool whose name starts with "prefect" (reserved). */
export const workPoolName = z.string().default("local-pool").refine(
  (value) => !value.toLowerCase().startsWith("prefect"),
  { error: (issue) => `must not start with "prefect" (the Prefect server reserves those ` +
    `names), got ${shown(issue.input)}` });

export const workPoolType = z.string().default("process").refine(
  (value) => /^[a-z0-9][a-z0-9:_-]*$/.test(value),
  { error: (issue) => `must be a work pool type such as "process", got ${shown(issue.input)}` });

/** Comma-separated manifest paths, each relative to the checkout and inside it. */
export const manifestList = z.string().default("prefect.yaml")
  .transform((value) => value.split(",").map((item) => item.trim()).filter((item) => item !== ""))
  .refine((items) => items.length > 0, { error: "must name at least one prefect.yaml" })
  .refine((items) => items.every((item) => !path.isAbsolute(item) &&
    !path.normalize(item).split(path.sep).includes("..")),
  { error: (issue) => "must list paths relative to the checkout that stay inside it, got " +
    shown((issue.input as string[]).join(",")) });

export const logLevel = z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"],
  { error: (issue) => `must be one of trace, debug, info, warn, error, fatal, silent, got ` +
    shown(issue.input) }).default("info");

export const logFormat = z.enum(["json", "pretty"],
  { error: (issue) => `must be json or pretty, got ${shown(issue.input)}` }).default("json");

export const flag = z.stringbool({ error: (issue) =>
  `must be true or false (1/0 and yes/no are accepted too), got ${shown(issue.input)}` })
  .default(false);

/** `user:password`, as Prefect's PREFECT_API_AUTH_STRING and the server's auth string. */
export const authString = z.string().refine((value) => value.includes(":"),
  { error: "must have the form user:password (its value is not shown)" });
