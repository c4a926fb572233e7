/** Waiting for the worker's registration, triggering one flow run and following it to its end. */
import type { Deployment, FlowRun, PrefectApi } from "./demo-prefect-api.js";

/** State types after which a flow run changes no more. */
const finalStates = new Set(["COMPLETED", "FAILED", "CRASHED", "CANCELLED"]);

export interface Watch {
  timeoutMs: number;
  /** Throws when waiting is pointless, e.g. because the worker has exited. */
  check?: () => void;
}

/** The deployment as it is now, if the server knows it. */
export async function currentDeployment(api: PrefectApi, name: string):
  Promise<Deployment | undefined> {
  return (await api.deploymentsNamed(name))[0];
}

/**
 * Waits until the worker has registered `name`: the deployment appears, or, with a database kept
 * from an earlier demo, its `updated` time moves past the one seen before the worker started.
 */
export async function waitForRegistration(api: PrefectApi, name: string,
  before: Deployment | undefined, watch: Watch): Promise<Deployment> {
  const deadline = Date.now() + watch.timeoutMs;
  while (Date.now() < deadline) {
    watch.check?.();
    const now = await currentDeployment(api, name);
    if (now && now.updated !== before?.updated) return now;
    await sleep(1000);
  }
  throw new Error(`the worker did not register the deployment "${name}" within ` +
    `${watch.timeoutMs / 1000} s; the worker's log says why (look for the registration phase)`);
}

/** Creates a flow run of the deployment, as the UI's "Quick run" does. */
export function triggerFlowRun(api: PrefectApi, deploymentId: string): Promise<FlowRun> {
  return api.createFlowRun(deploymentId);
}

/** Polls the flow run until its state is final, reporting each state it passes through. */
export async function waitForFinalState(api: PrefectApi, flowRunId: string, watch: Watch,
  onChange: (run: FlowRun) => void): Promise<FlowRun> {
  const deadline = Date.now() + watch.timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    watch.check?.();
    const run = await api.flowRun(flowRunId);
    const state = run.state_name ?? run.state_type ?? "unknown";
    if (state !== last) {
      last = state;
      onChange(run);
    }
    if (run.state_type && finalStates.has(run.state_type)) return run;
    await sleep(1000);
  }
  throw new Error(`flow run ${flowRunId} was still ${last} after ${watch.timeoutMs / 1000} s; ` +
    "raise --run-timeout if the downloads are slow");
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
