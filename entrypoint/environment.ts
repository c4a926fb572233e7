/** The environment the entrypoint hands to git, `prefect deploy` and the worker. */
import type { Config } from "./config.js";
import { flowRunMarker } from "./flow-runs.js";

/**
 * Every GITEA_* variable (the workspace URL and credentials, and any other such as a stray
 * GITEA_TOKEN) stays with the entrypoint: git reads the credentials from ~/.netrc, and a manifest
 * referencing `{{ $GITEA_PASSWORD }}` must not be able to copy the password into a deployment
 * stored on the server; nor should flow code see it.
 */
const entrypointOnly = /^GITEA_/;

/** The base for every child: the entrypoint's environment without GITEA_*, plus HOME. */
export function childEnvironment(config: Config, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  for (const name of Object.keys(env)) if (entrypointOnly.test(name)) delete env[name];
  return {
    ...env,
    HOME: config.home,
    PREFECT_API_URL: config.apiUrl,
    // git must fail, not wait for a password on a terminal nobody watches.
    GIT_TERMINAL_PROMPT: "0",
    PYTHONUNBUFFERED: "1",
  };
}

/** What each `prefect deploy` runs with: unattended, plain output, the workspace described. */
export function deployEnvironment(config: Config, base: NodeJS.ProcessEnv,
  workspace: { repoUrl: string; branch?: string; checkoutDir: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...childEnvironment(config, base),
    // The manifest's git_clone pull step names these, so flow runs clone what was registered.
    WORKSPACE_REPO_URL: workspace.repoUrl,
    WORKSPACE_BRANCH: workspace.branch ?? "",
    WORKSPACE_DIR: workspace.checkoutDir,
    // No prompts (a prompt would wait forever), no colour codes, and no line wrapping, so each
    // message arrives in the log as one line.
    PREFECT_CLI_PROMPT: "false",
    PREFECT_CLI_COLORS: "false",
    PREFECT_CLI_WRAP_LINES: "false",
    NO_COLOR: "1",
    COLUMNS: "200",
    // prefect deploy imports each flow; its bytecode cache would litter the checkout.
    PYTHONDONTWRITEBYTECODE: "1",
  };
  // For a single deployment, prefect deploy lets this setting override the manifest's own
  // work_pool.name; registration passes --pool instead, and only where the manifest names none.
  delete env.PREFECT_DEPLOYMENTS_DEFAULT_WORK_POOL_NAME;
  return env;
}

/**
 * What the worker runs with: its health server on the configured address and port, and the
 * marker by which the entrypoint finds the worker's flow runs after the worker has exited.
 */
export function workerEnvironment(config: Config, base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    ...childEnvironment(config, base),
    [flowRunMarker.name]: flowRunMarker.value,
    PREFECT_WORKER_WEBSERVER_HOST: config.workerHealthHost,
    PREFECT_WORKER_WEBSERVER_PORT: String(config.workerHealthPort),
  };
}
