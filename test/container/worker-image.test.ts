/**
 * The worker image as a container engine runs it: Dockerfile.worker built by podman on local
 * stand-ins of its base images, then started against a Prefect server, an authenticated git
 * server, an S3-compatible server and a file server with the TLC files, all on the host.
 * The tests share one image and one /flows volume and run in order, like an operator's session:
 * start, stop, start again, check health, run the tutorial. Only `npm run test:container` runs
 * them (CONTAINER_TEST=1): the first run on a machine installs podman and builds base images.
 */
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { tlcDir, tlcMissing } from "../tlc-data.js";
import { PrefectApi, type Deployment } from "../../stack/demo-prefect-api.js";
import { waitForFinalState } from "../../stack/demo-flow-run.js";
import { seedWorkspaceDir, stackDir } from "../../stack/paths.js";
import { freePort } from "../../stack/ports.js";
import { startHostStack, type HostStack } from "./host-stack.js";
import { buildWorkerImage, workerImage } from "./image.js";
import { Container, podman } from "./podman.js";
import { declaredDeployments, deploymentsOnServer, logEvents, pollingWorkers, waitFor }
  from "./prefect-state.js";
import { Timings } from "./timings.js";

const enabled = process.env.CONTAINER_TEST === "1";
const logsDir = path.join(stackDir, "logs");
const graceSeconds = 10;
const registrationTimeoutMs = 240_000;
/** Small, pure Python, and not among the image's packages. */
const extraPackage = "tomli-w==1.2.0";

describe.skipIf(!enabled)("the worker image", () => {
  const timings = new Timings();
  const id = `${process.pid}`;
  const flowsVolume = `worker-test-flows-${id}`;
  const expectedNames = declaredDeployments(path.join(seedWorkspaceDir, "prefect.yaml"));
  const started: Container[] = [];
  let host: HostStack | undefined;
  let api: PrefectApi;
  let healthPort: number;
  let firstRegistration: Deployment[] = [];

  beforeAll(async () => {
    await buildWorkerImage(timings);
    host = await timings.measure("start Prefect, git, S3 and file servers on the host",
      () => startHostStack(tlcDir));
    api = new PrefectApi(host.prefect.apiUrl);
    healthPort = await freePort();
    await podman(["volume", "create", flowsVolume]);
  }, 45 * 60_000);

  afterAll(async () => {
    for (const [index, container] of started.entries()) {
      await container.remove(path.join(logsDir, `worker-container-${index + 1}.log`));
    }
    await podman(["volume", "rm", "--force", flowsVolume], { reject: false });
    await host?.stop();
    timings.save(path.join(stackDir, "container-test-timings.json"));
    console.log(`container test stages:\n${timings.format()}`);
  }, 120_000);

  /** Starts a worker container on the shared /flows volume, configured as compose.yaml does. */
  async function startWorker(extraEnv: Record<string, string> = {}): Promise<Container> {
    const container = await Container.run({
      name: `worker-test-${id}-${started.length + 1}`,
      image: workerImage,
      flowsVolume,
      env: { ...host!.workerEnv.env, WORKER_HEALTH_PORT: String(healthPort), ...extraEnv },
      secretEnv: host!.workerEnv.secretEnv,
    });
    started.push(container);
    return container;
  }

  /** Waits until `container` polls the work pool with every declared deployment registered. */
  async function waitUntilServing(container: Container, since: Date): Promise<Deployment[]> {
    return waitFor(`${container.name} to register ${expectedNames.join(", ")} and poll`,
      registrationTimeoutMs, container, async () => {
        const deployments = await deploymentsOnServer(api);
        const registered = deployments.filter((d) => new Date(d.updated) >= since);
        const polling = await pollingWorkers(host!.prefect.apiUrl, "local-pool", since);
        const done = expectedNames.every((name) => registered.some((d) => d.name === name));
        return done && polling.length > 0 ? deployments : undefined;
      });
  }

  it("registers every deployment of the workspace and then polls the work pool", async () => {
    const since = new Date();
    const worker = await startWorker();
    firstRegistration = await timings.measure("first start: registered and polling",
      () => waitUntilServing(worker, since));

    expect(firstRegistration.map((d) => d.name).sort()).toEqual([...expectedNames].sort());
    for (const deployment of firstRegistration) {
      expect(deployment.work_pool_name).toBe("local-pool");
    }
    const logs = await worker.logs();
    for (const secret of Object.values(host!.workerEnv.secretEnv)) {
      expect(logs).not.toContain(secret);
    }
  }, registrationTimeoutMs + 30_000);

  it("exits within the grace period of podman stop, with the worker's exit status", async () => {
    const worker = started[0]!;
    const stopStarted = performance.now();
    await timings.measure(`podman stop -t ${graceSeconds}`, () => worker.stop(graceSeconds));
    const seconds = (performance.now() - stopStarted) / 1000;

    const state = await worker.state();
    const logs = await worker.logs();
    expect(seconds, logs.slice(-3000)).toBeLessThan(graceSeconds);
    expect(state.running).toBe(false);
    // 137 would be podman's SIGKILL after the grace period.
    expect(state.exitCode, logs.slice(-3000)).not.toBe(137);
    const exited = logEvents(logs).find((event) =>
      event.phase === "worker" && event.outcome === "exited");
    expect(exited, `no "worker exited" line in:\n${logs.slice(-3000)}`).toBeDefined();
    expect(state.exitCode).toBe(exited!.exitCode);
  }, 60_000);

  it("updates the same deployments on a second start with the same /flows volume", async () => {
    const since = new Date();
    const worker = await startWorker({ EXTRA_PIP_PACKAGES: extraPackage });
    const second = await timings.measure("second start, same volume, extra pip package: serving",
      () => waitUntilServing(worker, since));

    const ids = (deployments: Deployment[]) => deployments.map((d) => d.id).sort();
    expect(ids(second)).toEqual(ids(firstRegistration));
    for (const deployment of second) {
      const before = firstRegistration.find((d) => d.id === deployment.id)!;
      expect(new Date(deployment.updated) > new Date(before.updated)).toBe(true);
    }
  }, registrationTimeoutMs + 30_000);

  it("installs EXTRA_PIP_PACKAGES before registering, as the official image does", async () => {
    const worker = started[1]!;
    const logs = await worker.logs();
    const installed = logs.indexOf("installing EXTRA_PIP_PACKAGES");
    expect(installed, logs.slice(0, 3000)).toBeGreaterThanOrEqual(0);
    expect(installed).toBeLessThan(logs.indexOf('"phase":"registration"'));

    const check = await worker.exec(["python", "-c", "import tomli_w"]);
    expect(check.exitCode, check.all).toBe(0);
  });

  it("turns healthy through the image's HEALTHCHECK while the worker polls", async () => {
    const worker = started[1]!;
    await timings.measure("HEALTHCHECK passes", () =>
      waitFor(`${worker.name} to pass its HEALTHCHECK`, 60_000, worker,
        async () => ((await worker.healthcheck()) ? true : undefined)));
    expect((await worker.state()).health).toBe("healthy");
  }, 90_000);

  it.skipIf(tlcMissing)("runs the tutorial deployment to completion inside the container",
    async () => {
      const worker = started[1]!;
      const deployment = firstRegistration.find((d) => d.name === "nyc-green-taxi-pipeline")!;
      const run = await api.createFlowRun(deployment.id);
      const final = await timings.measure("one tutorial flow run", () =>
        waitForFinalState(api, run.id, { timeoutMs: 300_000 }, () => undefined));

      const logs = await api.lastLogsOf(run.id, 40);
      expect(final.state_type, logs.map((line) => line.message).join("\n") +
        `\n--- worker ---\n${(await worker.logs()).slice(-3000)}`).toBe("COMPLETED");
      expect(host!.files.downloads).toEqual(expect.arrayContaining(
        ["/green_tripdata_2025-01.parquet", "/green_tripdata_2025-02.parquet"]));
    }, 330_000);
});
