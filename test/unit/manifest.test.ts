import fs from "node:fs";
import os from "node:os";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { fillPlaceholders, parseManifest, readManifest } from "../../entrypoint/manifest.js";

describe("parseManifest", () => {
  it("lists each deployment with its entrypoint and work pool", () => {
    const manifest = parseManifest(`
name: ws
deployments:
  - name: daily
    entrypoint: flows/a.py:a
    work_pool: { name: local-pool }
  - name: hourly
    entrypoint: flows/b.py:b
`);
    expect(manifest).toEqual({ unnamed: [], deployments: [
      { name: "daily", selector: "daily", entrypoint: "flows/a.py:a", workPool: "local-pool" },
      { name: "hourly", selector: "hourly", entrypoint: "flows/b.py:b", workPool: undefined },
    ] });
  });

  it("resolves YAML aliases, as prefect.yaml definitions use them", () => {
    const manifest = parseManifest(`
definitions:
  pool: &pool { name: shared-pool }
deployments:
  - name: one
    entrypoint: flows/a.py:a
    work_pool: *pool
`);
    expect(manifest.deployments[0]?.workPool).toBe("shared-pool");
  });

  it("reports entries without a name by their position", () => {
    const manifest = parseManifest("deployments:\n  - entrypoint: a.py:a\n  - name: b\n");
    expect(manifest.unnamed).toEqual([1]);
    expect(manifest.deployments.map((d) => d.name)).toEqual(["b"]);
  });

  it("selects entries that share a name by their flow function", () => {
    const manifest = parseManifest("deployments:\n  - name: prod\n    entrypoint: a.py:load\n" +
      "  - name: prod\n    entrypoint: b.py:report\n  - name: solo\n    entrypoint: a.py:load\n");
    expect(manifest.deployments.map((d) => [d.selector, d.problem])).toEqual([
      ["load/prod", undefined], ["report/prod", undefined], ["solo", undefined]]);
  });

  it("reports entries that even their flow function cannot tell apart", () => {
    const manifest = parseManifest("deployments:\n  - name: a\n    entrypoint: f.py:x\n" +
      "  - name: a\n    entrypoint: g.py:x\n  - name: b\n  - name: b\n");
    const twice = (name: string, flowFunction: string) => `2 entries of prefect.yaml are named ` +
      `${name}${flowFunction}, which prefect deploy --name cannot tell apart: give each its ` +
      "own name";
    expect(manifest.deployments.map((d) => d.problem)).toEqual([
      twice("a", " with a flow function called x"), twice("a", " with a flow function called x"),
      twice("b", ""), twice("b", "")]);
  });

  it("reports names that prefect deploy --name would read as a pair or a pattern", () => {
    const manifest = parseManifest("deployments:\n  - name: team/etl\n  - name: \"*\"\n" +
      "  - name: --all\n");
    expect(manifest.deployments.map((d) => d.problem)).toEqual([
      expect.stringMatching(/^its name contains "\/", which prefect deploy --name reads as a /),
      expect.stringMatching(/^its name contains "\*"/),
      undefined,
    ]);
  });

  it("names the line of a YAML syntax error and still finds the deployment names", () => {
    const manifest = parseManifest(`name: ws
deployments:
  - name: good
    entrypoint: flows/a.py:a
  - name: "broken"
    entrypoint: [flows/b.py:b
`, "teams/prefect.yaml");
    expect(manifest.problem)
      .toMatch(/^teams\/prefect\.yaml is not valid YAML: .+ at line \d+, column \d+$/);
    expect(manifest.deployments.map((d) => d.name)).toEqual(["good", "broken"]);
  });

  it("reports a manifest without a deployments list", () => {
    expect(parseManifest("name: ws\n").problem).toBe('prefect.yaml has no "deployments:" list');
    expect(parseManifest("- just\n- a list\n").problem).toMatch(/no "deployments:" list/);
  });

  it("accepts an empty deployments list", () => {
    expect(parseManifest("deployments: []\n")).toEqual({ deployments: [], unnamed: [] });
  });
});

describe("readManifest", () => {
  it("reports a manifest missing from the checkout", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-"));
    const manifest = await readManifest(dir, "prefect.yaml");
    expect(manifest.problem).toBe("prefect.yaml does not exist in the checkout " +
      "(PREFECT_MANIFESTS)");
    fs.rmSync(dir, { recursive: true });
  });

  it("reads a manifest relative to the checkout", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "manifest-"));
    fs.mkdirSync(path.join(dir, "team"));
    fs.writeFileSync(path.join(dir, "team", "prefect.yaml"), "deployments:\n  - name: x\n");
    const manifest = await readManifest(dir, "team/prefect.yaml");
    expect(manifest).toMatchObject({ path: "team/prefect.yaml", deployments: [{ name: "x" }] });
    fs.rmSync(dir, { recursive: true });
  });
});

describe("fillPlaceholders", () => {
  it("fills {{ $VAR }} placeholders from the environment and leaves unknown ones", () => {
    expect(fillPlaceholders("etl-{{ $WORKSPACE_BRANCH }}-{{$NOPE}}",
      { WORKSPACE_BRANCH: "main" }))
      .toBe("etl-main-{{$NOPE}}");
  });
});
