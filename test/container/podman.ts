/** podman, driven the way this sandbox allows, and the few container operations the test needs. */
import fs from "node:fs";
import path from "node:path";

import { execa } from "execa";

// crun refuses this kernel's rlimit and cgroup setup; runc with cgroupfs works (install-podman.sh
// also empties the default ulimits). There is no bridge network, so containers share the host's.
const globalArgs = ["--runtime", "/usr/sbin/runc", "--cgroup-manager=cgroupfs"];

export interface PodmanOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** false: resolve with the exit code instead of rejecting on failure. */
  reject?: boolean;
}

export interface PodmanResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved. */
  all: string;
}

/** Runs `podman <args>` and resolves with its output; rejects with podman's stderr. */
export async function podman(args: string[], options: PodmanOptions = {}):
  Promise<PodmanResult> {
  const result = await execa("podman", [...globalArgs, ...args], { ...options, all: true });
  return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr,
    all: result.all };
}

export interface RunOptions {
  name: string;
  image: string;
  /** Named volume mounted at /flows. */
  flowsVolume: string;
  /** Variables given to the container by value. */
  env: Record<string, string>;
  /**
   * Variables the container takes from this process's environment by name, so that their values
   * (passwords) never appear in podman's command line.
   */
  secretEnv: Record<string, string>;
}

/** A container started in the background; its output is kept by podman until it is removed. */
export class Container {
  private constructor(readonly name: string) {}

  static async run(options: RunOptions): Promise<Container> {
    const env = Object.entries(options.env).flatMap(([key, value]) => ["-e", `${key}=${value}`]);
    const secrets = Object.keys(options.secretEnv).flatMap((key) => ["-e", key]);
    await podman(["run", "--detach", "--name", options.name, "--network", "host",
      "--volume", `${options.flowsVolume}:/flows`, ...env, ...secrets, options.image],
    { env: { ...process.env, ...options.secretEnv } });
    return new Container(options.name);
  }

  /** Everything the container has written to stdout and stderr so far. */
  async logs(): Promise<string> {
    const { stdout, stderr } = await podman(["logs", this.name]);
    return [stdout, stderr].filter(Boolean).join("\n");
  }

  async state(): Promise<{ running: boolean; exitCode: number; health: string }> {
    const { stdout } = await podman(["inspect", "--format",
      "{{.State.Running}} {{.State.ExitCode}} {{.State.Health.Status}}", this.name]);
    const [running, exitCode, health] = stdout.split(" ");
    return { running: running === "true", exitCode: Number(exitCode), health: health ?? "" };
  }

  /** `podman stop -t <grace>`: SIGTERM, then SIGKILL once the grace period is over. */
  async stop(graceSeconds: number): Promise<void> {
    await podman(["stop", "--time", String(graceSeconds), this.name]);
  }

  /** Runs a command inside the running container. */
  exec(command: string[]): Promise<PodmanResult> {
    return podman(["exec", this.name, ...command], { reject: false });
  }

  /** Runs the image's HEALTHCHECK once, as the engine would; true when it passed. */
  async healthcheck(): Promise<boolean> {
    const result = await podman(["healthcheck", "run", this.name], { reject: false });
    return result.exitCode === 0;
  }

  /** Saves the output to `file` (for a person reading a failed run) and removes the container. */
  async remove(file: string): Promise<void> {
    const logs = await this.logs().catch((error: Error) => `(no logs: ${error.message})`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${logs}\n`);
    await podman(["rm", "--force", "--time", "0", this.name], { reject: false });
  }
}
