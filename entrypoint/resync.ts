/**
 * The resync phase: while the worker serves, the workspace is synced again every
 * SYNC_INTERVAL_SECONDS, and when its commit has moved every deployment is registered again. A
 * deployment pushed to git appears on the server within one interval, without a restart.
 *
 * Flow runs do not wait for this: their `git_clone` pull step fetches the latest commit anyway.
 * What a resync adds is what only `prefect deploy` stores: new deployments and changes to the
 * manifest (tags, parameters, descriptions). Nothing here can stop the worker: a failing git
 * server or a broken manifest is logged, and the worker goes on serving what it has.
 */
import type { Logger } from "pino";

import { describeError } from "./errors.js";
import type { DeploymentResult } from "./registration.js";
import { sleep } from "./retry.js";
import type { WorkspaceResult } from "./workspace.js";

export interface ResyncOptions {
  intervalMs: number;
  /** The commit registered at start-up, if any; registration runs again only when it moves. */
  commit?: string;
  /** One workspace sync, logging to `log` (quiet unless LOG_LEVEL is debug or lower). */
  sync(signal: AbortSignal, log: Logger): Promise<WorkspaceResult>;
  register(workspace: WorkspaceResult, signal: AbortSignal): Promise<DeploymentResult[]>;
  /** Throws when the Prefect API is not ready, so that a registration is not even begun. */
  apiReady(signal: AbortSignal): Promise<void>;
  log: Logger;
}

export interface Resync {
  /** Stops the loop, and any git or prefect child it is running, and waits for it to end. */
  stop(): Promise<void>;
}

/** Outcomes in which the checkout could not be brought up to date with the remote. */
const behind = new Set(["stale", "unavailable", "empty"]);

/** Starts the loop in the background; `signal` (a stop signal) ends it as well as `stop()`. */
export function startResync(options: ResyncOptions, signal: AbortSignal): Resync {
  const controller = new AbortController();
  const stopped = AbortSignal.any([controller.signal, signal]);
  const log = options.log.child({ phase: "resync" });
  log.info({ intervalMs: options.intervalMs },
    `syncing the workspace again every ${options.intervalMs / 1000} s (SYNC_INTERVAL_SECONDS)`);
  const done = resyncLoop(options, log, stopped);
  return {
    async stop() {
      controller.abort();
      await done;
    },
  };
}

async function resyncLoop(options: ResyncOptions, log: Logger, signal: AbortSignal):
  Promise<void> {
  // A sync that finds nothing new would log a dozen lines every interval; only what changes is
  // worth a line, and this loop writes it. LOG_LEVEL=debug shows every sync in full.
  const syncLog = log.isLevelEnabled("debug") ? log : log.child({}, { level: "silent" });
  let registered = options.commit;
  /** The newest commit whose "moved" line was written, so a retried commit is announced once. */
  let announced = options.commit;
  let trouble: string | undefined;

  const troubled = (message: string) => {
    // Said once, not every interval, until a resync goes through again.
    if (message !== trouble) {
      log.warn({ outcome: "behind", commit: registered }, `${message}; the worker keeps ` +
        `serving ${served(registered)} and the next sync is in ${options.intervalMs / 1000} s`);
    }
    trouble = message;
  };

  while (!signal.aborted) {
    try {
      await sleep(options.intervalMs, signal);
    } catch {
      return;
    }

    let workspace: WorkspaceResult;
    try {
      workspace = await options.sync(signal, syncLog);
    } catch (error) {
      if (signal.aborted) return;
      troubled(`the workspace sync failed: ${describeError(error)}`);
      continue;
    }
    if (signal.aborted) return;
    if (behind.has(workspace.outcome) || workspace.commit === undefined) {
      troubled(`workspace ${workspace.outcome}${workspace.detail ? `: ${workspace.detail}` : ""}`);
      continue;
    }
    if (workspace.detail !== undefined && workspace.outcome !== "recovered") {
      // Someone edited files inside the container: the sync put the remote's back.
      log.warn({ outcome: workspace.outcome, commit: workspace.commit }, workspace.detail);
    }

    const commit = workspace.commit;
    if (commit !== registered) {
      if (commit !== announced) {
        log.info({ outcome: "moved", previousCommit: registered, commit },
          `the workspace moved from ${served(registered)} to ${commit.slice(0, 12)}: ` +
          "registering its deployments again");
        announced = commit;
      }
      try {
        // Checked first: a registration that cannot reach the API would log its start and its
        // failure on every sync of an outage.
        await options.apiReady(signal);
        await options.register(workspace, signal);
        // A deployment that failed stays failed until someone pushes a fix: one try per commit.
        registered = commit;
      } catch (error) {
        // Registration could not run at all (the Prefect API did not answer): the next sync
        // tries the same commit again.
        if (signal.aborted) return;
        troubled(`registering commit ${commit.slice(0, 12)} failed: ${describeError(error)}`);
        continue;
      }
    } else {
      log.debug({ outcome: "unchanged", commit }, "the workspace has not moved");
    }

    if (trouble !== undefined) {
      log.info({ outcome: "caught-up", commit },
        `the resync works again: serving ${served(commit)}`);
      trouble = undefined;
    }
  }
}

function served(commit: string | undefined): string {
  return commit ? `commit ${commit.slice(0, 12)}` : "no workspace commit";
}
