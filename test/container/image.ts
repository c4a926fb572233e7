/**
 * The worker image under test: podman installed, local stand-ins for the official base images
 * built (no image registry is reachable here), then Dockerfile.worker built exactly as shipped.
 */
import fs from "node:fs";
import path from "node:path";

import { execa } from "execa";

import { repoRoot, stackDir } from "../../stack/paths.js";
import { podman } from "./podman.js";
import type { Timings } from "./timings.js";

const here = path.join(repoRoot, "test", "container");

/** Tag of the image the test builds from Dockerfile.worker. */
export const workerImage = "localhost/prefect-self-registering-worker:container-test";

export async function buildWorkerImage(timings: Timings): Promise<void> {
  await timings.measure("install podman (apt, once per machine)", () =>
    execa("bash", [path.join(here, "install-podman.sh")]));

  const baseImages = await timings.measure("stand-in base images (cached)", async () => {
    const { stdout } = await execa("bash", [path.join(here, "stand-ins.sh")],
      { stderr: "inherit" });
    return stdout.split("\n").filter((line) => line.includes("="));
  });

  const log = path.join(stackDir, "logs", "worker-image-build.log");
  fs.mkdirSync(path.dirname(log), { recursive: true });
  await timings.measure("build Dockerfile.worker", async () => {
    // HEALTHCHECK exists only in Docker's image format; podman's default (OCI) would drop it.
    const result = await podman(["build", "--isolation", "chroot", "--network", "host",
      "--format", "docker", ...baseImages.flatMap((arg) => ["--build-arg", arg]),
      "--tag", workerImage, "--file", "Dockerfile.worker", "."],
    { cwd: repoRoot, reject: false });
    fs.writeFileSync(log, result.all);
    if (result.exitCode !== 0) {
      throw new Error(`podman build -f Dockerfile.worker failed with exit code ` +
        `${result.exitCode}; the build log is ${log}, ending with:\n` +
        result.all.split("\n").slice(-25).join("\n"));
    }
  });
}
