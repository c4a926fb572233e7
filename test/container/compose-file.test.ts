/**
 * compose.yaml checked without a container engine: against the Compose specification's JSON
 * schema (the copy dclint ships), and against the files it has to agree with (.env.example,
 * Dockerfile.worker, the tutorial's settings).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

import { Ajv } from "ajv";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";

import { repoRoot } from "../../stack/paths.js";

const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), "utf8");
const composeText = read("compose.yaml");
const envExample = new Map([...read(".env.example").matchAll(/^([A-Z][A-Z0-9_]*)=(.*)$/gm)]
  .map(([, name, value]) => [name!, value!]));

interface Service {
  image?: string;
  build?: { args?: string[] };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  environment?: Record<string, string>;
}
const compose = (text: string) =>
  parse(text, { merge: true }) as { services: Record<string, Service> };
const services = compose(composeText).services;

/** `${NAME}`, `${NAME:-default}` and the like; `$${...}` is an escaped dollar, not a variable. */
const variable = /(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+])?([^}]*)\}/g;
const references = [...composeText.matchAll(variable)]
  .map(([, name, operator, value]) => ({ name: name!, operator, value: value! }));
/** Build arguments listed without a value are read from the environment too. */
const passedThrough = Object.values(services).flatMap((service) => service.build?.args ?? [])
  .filter((arg) => !arg.includes("="));

/** The file as Compose sees it with no .env and an empty environment. */
function withDefaults(text: string): string {
  return text
    .replace(/(?<!\$)\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}/g, (_, value) => value ?? "")
    .replaceAll("$$", "$");
}

function dockerfileDefault(name: string): string | undefined {
  return new RegExp(`^ARG ${name}=(.+)$`, "m").exec(read("Dockerfile.worker"))?.[1];
}

describe("compose.yaml", () => {
  it("is valid under the Compose specification, as written and with its defaults filled in", () => {
    const require = createRequire(import.meta.url);
    const schemaFile = path.join(path.dirname(require.resolve("dclint/package.json")),
      "schemas", "compose.schema.json");
    // The schema names its draft by an https URL that Ajv's bundled meta-schema does not carry,
    // so the schema itself goes unchecked; compose.yaml is checked in full.
    const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true,
      validateSchema: false });
    const validate = ajv.compile(JSON.parse(fs.readFileSync(schemaFile, "utf8")));

    for (const text of [composeText, withDefaults(composeText)]) {
      const valid = validate(compose(text));
      expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
      expect(valid).toBe(true);
    }
  });

  it("gives every variable a default, so `docker compose up` needs no .env", () => {
    const withoutDefault = references.filter((ref) => ref.operator !== ":-");
    expect(withoutDefault.map((ref) => ref.name)).toEqual([]);
  });

  it("documents in .env.example exactly the variables it reads, with the same defaults", () => {
    const used = new Set([...references.map((ref) => ref.name), ...passedThrough]);
    expect([...envExample.keys()].sort()).toEqual([...used].sort());

    for (const ref of references) {
      expect(envExample.get(ref.name), `default of ${ref.name}`).toBe(ref.value);
    }
    for (const name of passedThrough) {
      expect(envExample.get(name), `${name} in Dockerfile.worker`).toBe(dockerfileDefault(name));
    }
  });

  it("runs the Prefect server on the image the worker is built from", () => {
    const serverImage = withDefaults(services["prefect-server"]!.image!);
    expect(serverImage).toBe(dockerfileDefault("PREFECT_IMAGE"));
    expect(withDefaults(services["prefect-services"]!.image!)).toBe(serverImage);
  });

  it("pins every image it pulls to a version", () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.build) continue;
      const image = withDefaults(service.image ?? "");
      expect(image, name).toMatch(/^[\w./-]+:[\w.-]*\d[\w.-]*$/);
      expect(image, name).not.toMatch(/:(latest|stable|edge)$/);
    }
  });

  it("starts the worker once the server is ready and both one-shot jobs have succeeded", () => {
    const worker = services.worker!;
    expect(worker.depends_on?.["prefect-server"]?.condition).toBe("service_healthy");
    expect(worker.depends_on?.["gitea-seed"]?.condition).toBe("service_completed_successfully");
    expect(worker.depends_on?.["minio-bucket"]?.condition).toBe("service_completed_successfully");
    expect(worker.volumes).toContain("flows:/flows");
  });

  it("seeds Gitea from a read-only mount of the tutorial workspace", () => {
    expect(services["gitea-seed"]!.volumes).toContain("./examples/workspace:/seed/workspace:ro");
  });

  it("gives the worker every variable the tutorial flow requires", () => {
    const settings = read("examples/workspace/flows/nyc_taxi/settings.py");
    const required = /REQUIRED_VARIABLES = \(([^)]*)\)/.exec(settings)?.[1]
      ?.match(/[A-Z0-9_]+/g) ?? [];
    expect(required.length).toBeGreaterThan(0);
    for (const name of required) {
      expect(services.worker!.environment, name).toHaveProperty(name);
    }
  });
});
