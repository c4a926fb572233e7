/**
 * The bundle is the only file the worker image copies: it must run from an empty folder with
 * nothing but `node`, no node_modules anywhere above it.
 */
import fs from "node:fs";
import path from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { bundlePath } from "../../stack/paths.js";
import { buildBundle, runEntrypoint, temporaryFolder } from "./entrypoint-fixtures.js";

const folder = temporaryFolder("bundle-only-");

beforeAll(async () => {
  await buildBundle();
  fs.copyFileSync(bundlePath, path.join(folder.path, "entrypoint.mjs"));
});

afterAll(() => folder.remove());

describe("the bundled entrypoint", () => {
  it("runs alone in an empty folder and reports an invalid environment with status 78",
    async () => {
      expect(fs.readdirSync(folder.path)).toEqual(["entrypoint.mjs"]);
      const run = runEntrypoint({ script: path.join(folder.path, "entrypoint.mjs"),
        cwd: folder.path, env: { WORKER_HEALTH_PORT: "http", LOG_FORMAT: "pretty" } });

      expect(await run.exit).toEqual({ code: 78, signal: null });
      expect(run.stderr()).toBe("Invalid configuration (2); nothing was started:\n" +
        "  - PREFECT_API_URL: is required: set it to the Prefect API, e.g. " +
        "http://prefect-server:4200/api\n" +
        '  - WORKER_HEALTH_PORT: must be a whole number from 1 to 65535, got "http"\n');
      expect(run.stdout()).toMatch(new RegExp("^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ERROR " +
        "configuration: the configuration has 2 problems; nothing was started: "));
      await run.stop();
    });
});
