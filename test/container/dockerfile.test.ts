/** Dockerfile.worker and .dockerignore read as text: promises that no single build can show. */
import fs from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { repoRoot } from "../../stack/paths.js";

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), "utf8");
const dockerfile = read("Dockerfile.worker");
const instructions = dockerfile.replace(/\\\n/g, " ").split("\n")
  .filter((line) => line.trim() !== "" && !line.trimStart().startsWith("#"));
const argDefault = (name: string) =>
  new RegExp(`^ARG ${name}=(.+)$`, "m").exec(dockerfile)?.[1] ?? "";

describe("Dockerfile.worker", () => {
  it("starts from the official images, Prefect at the version the project pins", () => {
    const pinned = /^prefect==(.+)$/m.exec(read("requirements/constraints.txt"))?.[1];
    expect(argDefault("PREFECT_IMAGE")).toBe(`prefecthq/prefect:${pinned}-python3.11`);
    expect(argDefault("NODE_IMAGE")).toMatch(/^node:24\.\d+\.\d+-bookworm-slim$/);
  });

  it("names no CPU architecture, so the same file builds for amd64 and arm64", () => {
    for (const line of instructions) {
      expect(line).not.toMatch(/amd64|x86_64|\bx64\b|arm64|aarch64/);
    }
  });

  it("runs the entrypoint under tini, which reaps orphans and signals the process group", () => {
    const entrypoint = instructions.find((line) => line.startsWith("ENTRYPOINT"));
    expect(JSON.parse(entrypoint!.slice("ENTRYPOINT".length))).toEqual(
      ["/usr/bin/tini", "-g", "--", "/opt/worker/worker-entrypoint.sh"]);
  });

  it("keeps a health check and the /flows volume", () => {
    expect(instructions.some((line) => line.startsWith("HEALTHCHECK") &&
      line.includes("/opt/worker/healthcheck.mjs"))).toBe(true);
    expect(instructions).toContain("VOLUME /flows");
  });

  it("copies only files that .dockerignore lets into the build context", () => {
    const allowed = read(".dockerignore").split("\n")
      .filter((line) => line.startsWith("!")).map((line) => line.slice(1));
    const sources = instructions
      .filter((line) => line.startsWith("COPY ") && !line.includes("--from="))
      .flatMap((line) => line.split(/\s+/).slice(1, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const source of sources) {
      const covered = allowed.some((entry) =>
        entry.endsWith("/") ? `${source}/`.startsWith(entry) : source === entry);
      expect(covered, `${source} is not let through by .dockerignore`).toBe(true);
    }
  });
});
