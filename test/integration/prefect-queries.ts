/** Reading what the entrypoint left on a Prefect server, through Prefect's REST API. */

export interface StoredDeployment {
  id: string;
  name: string;
  updated: string;
  work_pool_name: string | null;
  pull_steps: unknown;
  [field: string]: unknown;
}

export interface StoredWorker {
  name: string;
  status: string;
  last_heartbeat_time: string;
}

async function call<T>(apiUrl: string, method: string, path: string, body?: unknown):
  Promise<{ status: number; body: T }> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
}

export async function deploymentsNamed(apiUrl: string, name: string):
  Promise<StoredDeployment[]> {
  const answer = await call<StoredDeployment[]>(apiUrl, "POST", "/deployments/filter",
    { deployments: { name: { any_: [name] } } });
  return answer.body;
}

/** The whole deployment as the server stores it, pull steps and job variables included. */
export async function readDeployment(apiUrl: string, id: string): Promise<StoredDeployment> {
  return (await call<StoredDeployment>(apiUrl, "GET", `/deployments/${id}`)).body;
}

export async function readWorkPool(apiUrl: string, name: string):
  Promise<{ status: number; body: { name: string; type: string; base_job_template: object } }> {
  return call(apiUrl, "GET", `/work_pools/${encodeURIComponent(name)}`);
}

export async function workersOf(apiUrl: string, pool: string): Promise<StoredWorker[]> {
  const answer = await call<StoredWorker[]>(apiUrl, "POST",
    `/work_pools/${encodeURIComponent(pool)}/workers/filter`, {});
  // 404 until the pool exists.
  return answer.status === 200 ? answer.body : [];
}

/** Waits until the worker named `name` has sent a heartbeat to the pool. */
export async function waitForOnlineWorker(apiUrl: string, pool: string, name: string,
  timeoutMs = 60_000): Promise<StoredWorker> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const worker = (await workersOf(apiUrl, pool).catch(() => []))
      .find((w) => w.name === name && w.status === "ONLINE");
    if (worker) return worker;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`worker ${name} did not come online in pool ${pool} within ${timeoutMs} ms`);
}

/** Asks the server for a run of the deployment now; a worker of its pool picks it up. */
export async function createFlowRun(apiUrl: string, deploymentId: string):
  Promise<{ id: string }> {
  for (let attempt = 1; ; attempt++) {
    const answer = await call<{ id: string }>(apiUrl, "POST",
      `/deployments/${deploymentId}/create_flow_run`, {});
    if (answer.status === 201) return answer.body;
    // A busy SQLite database makes the server answer 503 now and then.
    if (answer.status < 500 || attempt === 5) {
      throw new Error(`create_flow_run answered ${answer.status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** A flow run's current state as the server has it. */
export async function readFlowRun(apiUrl: string, id: string):
  Promise<{ name: string; state_type: string; state: { message: string | null } }> {
  return (await call<{ name: string; state_type: string; state: { message: string | null } }>(
    apiUrl, "GET", `/flow_runs/${id}`)).body;
}
