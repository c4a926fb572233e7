/**
 * Reading a manifest (a prefect.yaml) for the names of its deployments, so that each one is
 * registered by its own `prefect deploy --name` call and a broken one cannot block the others.
 */
import fs from "node:fs/promises";
import path from "node:path";

import { parseDocument } from "yaml";

export interface ManifestDeployment {
  /** The name as written. */
  name: string;
  /**
   * What `prefect deploy --name` is given to select this entry alone: the name, or
   * `<flow function>/<name>` when several entries share the name (one per flow is allowed).
   */
  selector: string;
  /** Why this entry cannot be selected on its own; it is reported as failed. */
  problem?: string;
  entrypoint?: string;
  /** work_pool.name, when the deployment names one. */
  workPool?: string;
}

export interface Manifest {
  /** As configured: relative to the checkout. */
  path: string;
  deployments: ManifestDeployment[];
  /** Why the manifest cannot be used at all (missing, not YAML, no deployments list). */
  problem?: string;
  /** Entries without a name: prefect deploy cannot select them, so they are reported. */
  unnamed: number[];
}

/** Reads `relativePath` inside `checkoutDir`; problems are returned, never thrown. */
export async function readManifest(checkoutDir: string, relativePath: string):
  Promise<Manifest> {
  const manifest: Manifest = { path: relativePath, deployments: [], unnamed: [] };
  let text: string;
  try {
    text = await fs.readFile(path.join(checkoutDir, relativePath), "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    manifest.problem = code === "ENOENT"
      ? `${relativePath} does not exist in the checkout (PREFECT_MANIFESTS)`
      : `${relativePath} cannot be read (${code ?? String(error)})`;
    return manifest;
  }
  return { ...manifest, ...parseManifest(text, relativePath) };
}

/** The deployments of a manifest's text. */
export function parseManifest(text: string, shownPath = "prefect.yaml"):
  Pick<Manifest, "deployments" | "problem" | "unnamed"> {
  const document = parseDocument(text, { uniqueKeys: false });
  const first = document.errors[0];
  if (first) {
    // The first line of the message names the line and column; the rest is a code frame.
    const message = first.message.split("\n")[0]?.replace(/:$/, "");
    // The names are still worth reporting: each of those deployments fails for this reason.
    return { deployments: namesByLine(text), unnamed: [],
      problem: `${shownPath} is not valid YAML: ${message}` };
  }

  const root: unknown = document.toJS();
  const list = isRecord(root) ? root.deployments : undefined;
  if (!isRecord(root) || !Array.isArray(list)) {
    return { deployments: [], unnamed: [], problem: `${shownPath} has no "deployments:" list` };
  }

  const deployments: ManifestDeployment[] = [];
  const unnamed: number[] = [];
  list.forEach((entry: unknown, index) => {
    const name = isRecord(entry) ? entry.name : undefined;
    if (!isRecord(entry) || typeof name !== "string" || name.trim() === "") {
      unnamed.push(index + 1);
      return;
    }
    const pool = isRecord(entry.work_pool) ? entry.work_pool.name : undefined;
    deployments.push({
      name,
      selector: name,
      entrypoint: typeof entry.entrypoint === "string" ? entry.entrypoint : undefined,
      workPool: typeof pool === "string" ? pool : undefined,
    });
  });
  return { deployments: withSelectors(deployments, shownPath), unnamed };
}

/**
 * `prefect deploy --name x` selects every entry named x, and with more than one it ignores
 * `--pool` and deploys them together. Entries sharing a name (allowed when their flows differ)
 * are therefore selected as `<flow function>/<name>`, which Prefect matches against the
 * function in `entrypoint:`. Entries that even this cannot tell apart are reported.
 */
function withSelectors(deployments: ManifestDeployment[], shownPath: string):
  ManifestDeployment[] {
  const named = (name: string) => deployments.filter((d) => d.name === name).length;
  const selected = deployments.map((d) => {
    if (named(d.name) === 1) return d;
    const flowFunction = d.entrypoint?.split(":").at(-1);
    return flowFunction ? { ...d, selector: `${flowFunction}/${d.name}` } : d;
  });
  const unique = (d: ManifestDeployment) =>
    selected.filter((other) => other.selector === d.selector).length === 1;
  return selected.map((d) => {
    // prefect deploy --name reads "/" as flow/deployment and "*" as a pattern, which could
    // select other entries, even all of them.
    const reserved = [...d.name].find((c) => c === "/" || c === "*");
    return reserved ? { ...d, problem: `its name contains "${reserved}", which prefect deploy ` +
      "--name reads as a flow/deployment pair or a pattern: rename the deployment" } : d;
  }).map((d) => d.problem || unique(d) ? d : {
    ...d,
    problem: `${named(d.name)} entries of ${shownPath} are named ${d.name}` +
      `${d.entrypoint ? ` with a flow function called ${d.entrypoint.split(":").at(-1)}` : ""}` +
      ", which prefect deploy --name cannot tell apart: give each its own name",
  });
}

/**
 * A value as Prefect stores it: `{{ $VAR }}` placeholders are filled from the environment of the
 * `prefect deploy` process, the same way Prefect's templating fills them.
 */
export function fillPlaceholders(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\{\{\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g,
    (placeholder, variable: string) => env[variable] ?? placeholder);
}

/** `- name: x` entries under `deployments:`, read line by line from text YAML cannot parse. */
function namesByLine(text: string): ManifestDeployment[] {
  const names: ManifestDeployment[] = [];
  let inDeployments = false;
  for (const line of text.split("\n")) {
    if (/^\S/.test(line)) inDeployments = /^deployments:\s*(#.*)?$/.test(line);
    const match = inDeployments ? /^\s*-\s+name:\s*["']?([^"'#]+?)["']?\s*(#.*)?$/.exec(line)
      : null;
    if (match?.[1] && !names.some((known) => known.name === match[1])) {
      names.push({ name: match[1], selector: match[1] });
    }
  }
  return names;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
