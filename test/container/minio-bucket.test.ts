/** docker/minio-bucket.sh, compose.yaml's bucket job, with a stand-in for MinIO's `mc`. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";

import { repoRoot } from "../../stack/paths.js";

describe("the MinIO bucket job", () => {
  const state = fs.mkdtempSync(path.join(os.tmpdir(), "minio-bucket-"));
  afterAll(() => fs.rmSync(state, { recursive: true, force: true }));

  it("creates the bucket if missing, handing mc the keys in its configuration only", async () => {
    const secret = 'minio "secret" \\ key';
    const run = await execa("bash", [path.join(repoRoot, "docker", "minio-bucket.sh")], {
      env: {
        PATH: `${path.join(repoRoot, "test", "container", "mc-stand-in")}:${process.env.PATH}`,
        MC_STAND_IN_STATE: state,
        S3_ENDPOINT: "http://minio:9000",
        S3_ACCESS_KEY: "nexus",
        S3_SECRET_KEY: secret,
        S3_BUCKET: "nexus-tutorials",
      },
      extendEnv: false,
      all: true,
      reject: false,
    });

    expect(run.exitCode, run.all).toBe(0);
    const commandLines = fs.readFileSync(path.join(state, "command-lines.log"), "utf8");
    expect(commandLines).toMatch(/ mb --ignore-existing store\/nexus-tutorials\n$/);
    expect(commandLines).not.toContain("secret");
    const config = JSON.parse(fs.readFileSync(path.join(state, "config.json"), "utf8"));
    expect(config.aliases.store).toMatchObject(
      { url: "http://minio:9000", accessKey: "nexus", secretKey: secret, api: "S3v4" });
  });
});
