/** What the container test reads back: the workspace's manifest and the Prefect server's state. */
import fs from "node:fs";

import { parse } from "yaml";

import type { Deployment, PrefectApi } from "../../stack/demo-prefect-api.js";
import type { Container } from "./podman.js";

/** Names of the deployments a prefect.yaml declares. */
export function declaredDeployments(manifest: string): string[] {
  const document = parse(fs.readFileSync(manifest, "utf8")) as { deployments?: { name: string }[] };
  return (document.deployments ?? []).map((deployment) => deployment.name);
}

/** Every deployment the server knows. */
export async function deploymentsOnServer(api: PrefectApi): Promise<Deployment[]> {
  return postJson(`${api.apiUrl}/deployments/filter`, {});
}

interface Worker {
  name: string;
  status: string;
  last_heartbeat_time: string;
}

/** Workers of `pool` that have sent a heartbeat since `since` and count as online. */
export async function pollingWorkers(apiUrl: string, pool: string, since: Date):
  Promise<Worker[]> {
  const workers = await postJson<Worker[]>(`${apiUrl}/work_pools/${pool}/workers/filter`, {})
    .catch(() => []);
  return workers.filter((worker) =>
    worker.status === "ONLINE" && new Date(worker.last_heartbeat_time) >= since);
}

/** The JSON lines of a container's output, parsed; other lines are skipped. */
export function logEvents(output: string): Record<string, unknown>[] {
  return output.split("\n").flatMap((line) => {
    if (!line.startsWith("{")) return [];
    try {
      return [JSON.parse(line) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/**
 * Polls `check` once a second until it returns a value; fails early, with the container's
 * output, when the container has exited, and the same way when time runs out.
 */
export async function waitFor<T>(what: string, timeoutMs: number, container: Container,
  check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    const state = await container.state();
    if (!state.running) {
      throw new Error(`${container.name} exited with code ${state.exitCode} while waiting for ` +
        `${what}; its output ends with:\n${tail(await container.logs())}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}; the ` +
    `container's output ends with:\n${tail(await container.logs())}`);
}

async function postJson<T>(url: string, body: unknown): Promise<T> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(15_000),
  });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`POST ${url} answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return (await response.json()) as T;
}

function tail(text: string, lines = 40): string {
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
