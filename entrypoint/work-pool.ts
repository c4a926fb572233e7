/**
 * The work pool phase: `prefect deploy` refuses a deployment whose pool does not exist, so the
 * pool is made sure of before registration. An existing pool is never changed: someone may have
 * tuned its job template or concurrency in the UI.
 */
import type { Logger } from "pino";

import type { PrefectApi } from "./prefect-api.js";

export interface WorkPoolResult {
  outcome: "created" | "exists";
  name: string;
  /** The pool's type on the server, which wins over WORK_POOL_TYPE for an existing pool. */
  type: string;
}

interface WorkPool {
  name: string;
  type: string;
}

/** Creates the pool with `type` when the server has none of that name. */
export async function ensureWorkPool(api: PrefectApi, pool: { name: string; type: string },
  log: Logger): Promise<WorkPoolResult> {
  const path = `/work_pools/${encodeURIComponent(pool.name)}`;
  const existing = await api.request<WorkPool>("GET", path, { accept: [200, 404] });
  if (existing.status === 200) return described(existing.body, pool.type, log);

  // An empty base job template is filled in with the worker type's default by the worker's
  // first contact with the server, so the entrypoint need not know any type's template.
  const created = await api.request<WorkPool>("POST", "/work_pools/", {
    body: { name: pool.name, type: pool.type },
    accept: [200, 201, 409],
  });
  if (created.status === 409) {
    // Another container created it between our two calls.
    const raced = await api.request<WorkPool>("GET", path);
    return described(raced.body, pool.type, log);
  }
  return { outcome: "created", name: created.body.name, type: created.body.type };
}

function described(pool: WorkPool, configuredType: string, log: Logger): WorkPoolResult {
  if (pool.type !== configuredType) {
    log.warn({ phase: "work-pool", pool: pool.name, type: pool.type, configuredType },
      `work pool ${pool.name} exists with type ${pool.type}, not WORK_POOL_TYPE=` +
      `${configuredType}; it is left as it is and the worker starts as type ${pool.type}`);
  }
  return { outcome: "exists", name: pool.name, type: pool.type };
}
