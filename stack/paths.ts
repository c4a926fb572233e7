/** Locations the local stack shares with the tests and the demo. */
import path from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The project's Python environment, made by `npm run setup` from requirements/. */
export const venvDir = path.join(repoRoot, ".venv");

/** A program installed in the project's Python environment (prefect, python, moto_server). */
export function venvBin(name: string): string {
  return path.join(venvDir, "bin", name);
}

/** Where the local stack keeps logs and state between runs; ignored by git. */
export const stackDir = path.join(repoRoot, ".stack");

/** The bundled entrypoint, exactly the file the worker image runs. */
export const bundlePath = path.join(repoRoot, "dist", "entrypoint.mjs");

/** The tutorial workspace seeded into the local git server. */
export const seedWorkspaceDir = path.join(repoRoot, "examples", "workspace");
