/** The few calls of Prefect's REST API that the demo makes, as plain JSON over fetch. */

/** A Prefect REST API answered with an error, or could not be reached. */
export class PrefectApiError extends Error {
  override name = "PrefectApiError";
}

export interface Deployment {
  id: string;
  name: string;
  tags: string[];
  updated: string;
  work_pool_name: string | null;
}

export interface FlowRun {
  id: string;
  name: string;
  state_type: string | null;
  state_name: string | null;
  state: { type: string; name: string; message: string | null } | null;
}

export interface Artifact {
  key: string | null;
  type: string | null;
  data: unknown;
  description: string | null;
}

export interface LogLine {
  timestamp: string;
  level: number;
  message: string;
}

export class PrefectApi {
  constructor(readonly apiUrl: string) {}

  async deploymentsNamed(name: string): Promise<Deployment[]> {
    return this.post("/deployments/filter", { deployments: { name: { any_: [name] } } });
  }

  async createFlowRun(deploymentId: string): Promise<FlowRun> {
    return this.post(`/deployments/${deploymentId}/create_flow_run`, {});
  }

  async flowRun(id: string): Promise<FlowRun> {
    return this.request("GET", `/flow_runs/${id}`);
  }

  async artifactsOf(flowRunId: string): Promise<Artifact[]> {
    return this.post("/artifacts/filter", { artifacts: { flow_run_id: { any_: [flowRunId] } } });
  }

  /** The newest `limit` log lines of a flow run, oldest first. */
  async lastLogsOf(flowRunId: string, limit: number): Promise<LogLine[]> {
    const newestFirst = await this.post<LogLine[]>("/logs/filter", {
      logs: { flow_run_id: { any_: [flowRunId] } }, sort: "TIMESTAMP_DESC", limit,
    });
    return newestFirst.reverse();
  }

  private post<T>(path: string, body: unknown): Promise<T> {
    return this.request("POST", path, body);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const url = `${this.apiUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new PrefectApiError(`${method} ${url} failed: ${(error as Error).message}; is the ` +
        "Prefect server still running?", { cause: error });
    }
    const text = await response.text();
    if (!response.ok) {
      throw new PrefectApiError(`${method} ${url} answered ${response.status}: ` +
        text.slice(0, 300));
    }
    return JSON.parse(text) as T;
  }
}
