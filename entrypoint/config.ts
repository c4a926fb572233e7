/**
 * The configuration phase: the environment (and the command line) validated into one typed value
 * before anything runs. Every problem is collected, so one restart is enough to fix them all.
 */
import os from "node:os";
import path from "node:path";

import { z } from "zod";

import {
  absolutePath, authString, branchName, flag, folderName, httpUrl, logFormat, logLevel,
  manifestList, seconds, wholeNumber, workPoolName, workPoolType,
} from "./config-fields.js";
import { ConfigError, type ConfigProblem } from "./errors.js";
import { workspaceRepository, type WorkspaceRepository } from "./config-repository.js";
import { redactUrl } from "./redact.js";

export type { WorkspaceRepository } from "./config-repository.js";

export interface Config {
  /** PREFECT_API_URL without a trailing slash, e.g. http://prefect-server:4200/api. */
  apiUrl: string;
  apiKey?: string;
  apiAuthString?: string;
  /** Absent without GITEA_REPO_URL: no sync, no registration, only the worker. */
  repository?: WorkspaceRepository;
  workPool: { name: string; type: string };
  /** prefect.yaml paths relative to the checkout. */
  manifests: string[];
  gitTimeoutMs: number;
  gitRetries: number;
  apiReadyTimeoutMs: number;
  deployTimeoutMs: number;
  registrationStrict: boolean;
  /** How often the running worker's workspace is synced again; 0 turns that off. */
  syncIntervalMs: number;
  log: { level: string; format: "json" | "pretty" };
  workerHealthPort: number;
  /** Address the health server binds; 0.0.0.0 so Docker's health check and probes reach it. */
  workerHealthHost: string;
  /** The HOME of the worker and its flow runs, where ~/.netrc goes. */
  home: string;
  /** Command-line arguments after the entrypoint, appended to `prefect worker start`. */
  workerArgs: string[];
  /** GITEA_* variables the entrypoint does not read: most likely misspelled settings. */
  unknownGiteaVariables: string[];
  /** Every secret value, for redaction of anything that is printed. */
  secrets: string[];
}

const environment = z.object({
  PREFECT_API_URL: httpUrl("set it to the Prefect API, e.g. http://prefect-server:4200/api")
    .refine((value) => redactUrl(value) === value, { error: (issue) => "must not contain " +
      `credentials (${redactUrl(String(issue.input))}); set ` +
      "PREFECT_API_AUTH_STRING=user:password for a server with basic auth" }),
  PREFECT_API_KEY: z.string().optional(),
  PREFECT_API_AUTH_STRING: authString.optional(),
  REPO_NAME: folderName.optional(),
  FLOWS_DIR: absolutePath.default("/flows"),
  GIT_BRANCH: branchName.optional(),
  WORK_POOL_NAME: workPoolName,
  WORK_POOL_TYPE: workPoolType,
  PREFECT_MANIFESTS: manifestList,
  GIT_TIMEOUT_SECONDS: seconds(120),
  GIT_RETRIES: wholeNumber(2, 0, 10),
  API_READY_TIMEOUT_SECONDS: seconds(120),
  DEPLOY_TIMEOUT_SECONDS: seconds(300),
  REGISTRATION_STRICT: flag,
  SYNC_INTERVAL_SECONDS: wholeNumber(60, 0, 86_400, " of seconds"),
  LOG_LEVEL: logLevel,
  LOG_FORMAT: logFormat,
  WORKER_HEALTH_PORT: wholeNumber(8080, 1, 65535),
  WORKER_HEALTH_HOST: z.string().default("0.0.0.0"),
  HOME: absolutePath.optional(),
});

const giteaVariables = ["GITEA_REPO_URL", "GITEA_USERNAME", "GITEA_PASSWORD"];

/** Reads the configuration; throws a ConfigError listing every problem at once. */
export function loadConfig(env: NodeJS.ProcessEnv, argv: string[]): Config {
  const values = withoutEmpty(env);
  const parsed = environment.safeParse(values);
  const problems: ConfigProblem[] = parsed.success ? [] : parsed.error.issues.map((issue) =>
    ({ variable: String(issue.path[0] ?? "environment"), problem: issue.message }));

  const repository = workspaceRepository(values, problems);
  problems.push(...workerArgumentProblems(argv));
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  const e = parsed.data;
  const home = e.HOME ?? os.homedir();
  const repo = repository && {
    ...repository,
    name: e.REPO_NAME ?? repository.name,
    checkoutDir: path.join(e.FLOWS_DIR, e.REPO_NAME ?? repository.name),
    branch: e.GIT_BRANCH,
  };
  return {
    apiUrl: e.PREFECT_API_URL.replace(/\/+$/, ""),
    apiKey: e.PREFECT_API_KEY,
    apiAuthString: e.PREFECT_API_AUTH_STRING,
    repository: repo,
    workPool: { name: e.WORK_POOL_NAME, type: e.WORK_POOL_TYPE },
    manifests: e.PREFECT_MANIFESTS,
    gitTimeoutMs: e.GIT_TIMEOUT_SECONDS * 1000,
    gitRetries: e.GIT_RETRIES,
    apiReadyTimeoutMs: e.API_READY_TIMEOUT_SECONDS * 1000,
    deployTimeoutMs: e.DEPLOY_TIMEOUT_SECONDS * 1000,
    registrationStrict: e.REGISTRATION_STRICT,
    syncIntervalMs: e.SYNC_INTERVAL_SECONDS * 1000,
    log: { level: e.LOG_LEVEL, format: e.LOG_FORMAT },
    workerHealthPort: e.WORKER_HEALTH_PORT,
    workerHealthHost: e.WORKER_HEALTH_HOST,
    home,
    workerArgs: argv,
    unknownGiteaVariables: Object.keys(values)
      .filter((name) => name.startsWith("GITEA_") && !giteaVariables.includes(name)),
    secrets: secretsOf(e.PREFECT_API_KEY, e.PREFECT_API_AUTH_STRING, repo?.password),
  };
}

/** Log settings even from an invalid environment, so that the problems themselves get logged. */
export function bootLogSettings(env: NodeJS.ProcessEnv): Config["log"] {
  const level = logLevel.safeParse(env.LOG_LEVEL || undefined);
  const format = logFormat.safeParse(env.LOG_FORMAT || undefined);
  return {
    level: level.success ? level.data : "info",
    format: format.success ? format.data : "json",
  };
}

/** Secrets are taken byte for byte; a password may well end in a space. */
const verbatim = new Set(["GITEA_PASSWORD", "PREFECT_API_KEY", "PREFECT_API_AUTH_STRING"]);

/** `VAR=` in a compose file means "not set", the same as leaving it out. */
function withoutEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value.trim() === "") continue;
    values[name] = verbatim.has(name) ? value : value.trim();
  }
  return values;
}

/** The pool and its type come from the environment; a second value would silently win. */
function workerArgumentProblems(argv: string[]): ConfigProblem[] {
  const owned = new Set(["--pool", "-p", "--type", "-t"]);
  const clashes = argv.filter((arg) => owned.has(arg.split("=")[0] ?? arg));
  if (clashes.length === 0) return [];
  return [{ variable: "command arguments", problem: `must not contain ${clashes.join(", ")}: ` +
    "set WORK_POOL_NAME / WORK_POOL_TYPE instead" }];
}

function secretsOf(apiKey?: string, authString?: string, gitPassword?: string): string[] {
  // The password half of user:password is what a URL or a log line would carry on its own.
  const authPassword = authString?.slice(authString.indexOf(":") + 1);
  return [apiKey, authString, authPassword, gitPassword]
    .filter((value): value is string => value !== undefined && value !== "");
}
