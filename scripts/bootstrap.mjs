// Installs what the demo and the tests need, and nothing when it is already there: the npm
// packages of package-lock.json and the project's Python environment (.venv) with the pinned
// Prefect, the tutorial's requirements and the local S3-compatible server.
// Plain JavaScript with no dependencies, because it runs before node_modules exists.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const venv = path.join(root, ".venv");
const python = process.env.PYTHON ?? "python3";

function run(command, args, what) {
  console.log(`[setup] ${what}`);
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  if (result.status !== 0) {
    console.error(`[setup] failed: ${command} ${args.join(" ")} exited with ` +
      `${result.status ?? result.signal}. Fix the cause above and run the command again.`);
    process.exit(1);
  }
}

/** A fingerprint of the inputs; the step is skipped while its stamp file holds the same one. */
function fingerprint(files, extra = "") {
  const hash = createHash("sha256").update(extra);
  for (const file of files) hash.update(fs.readFileSync(path.join(root, file)));
  return hash.digest("hex");
}

function upToDate(stamp, print) {
  return fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === print;
}

const npmStamp = path.join(root, "node_modules", ".bootstrap-stamp");
const npmPrint = fingerprint(["package-lock.json"], process.version);
if (!upToDate(npmStamp, npmPrint)) {
  run("npm", ["ci", "--no-audit", "--no-fund"], "installing npm packages (npm ci)");
  fs.writeFileSync(npmStamp, npmPrint);
}

const version = spawnSync(python, ["-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
  { encoding: "utf8" });
if (version.status !== 0) {
  console.error(`[setup] no Python found as "${python}": install Python 3.11 or newer, ` +
    "or point PYTHON at one.");
  process.exit(1);
}
// The pinned Prefect release requires Python 3.11 or newer; pip would say so less plainly.
const [major, minor] = version.stdout.trim().split(".").map(Number);
if (major < 3 || (major === 3 && minor < 11)) {
  console.error(`[setup] "${python}" is Python ${version.stdout.trim()}; Prefect needs 3.11 or ` +
    "newer: install one, or point PYTHON at it.");
  process.exit(1);
}
const pythonFiles = ["requirements/stack.txt", "requirements/constraints.txt",
  "examples/workspace/requirements.txt"];
const venvStamp = path.join(venv, ".bootstrap-stamp");
const venvPrint = fingerprint(pythonFiles, version.stdout);
if (!upToDate(venvStamp, venvPrint)) {
  if (!fs.existsSync(path.join(venv, "bin", "python"))) {
    run(python, ["-m", "venv", venv], `creating the Python environment in ${venv}`);
  }
  run(path.join(venv, "bin", "pip"), ["install", "--quiet", "--disable-pip-version-check",
    "-r", "requirements/stack.txt", "-c", "requirements/constraints.txt"],
  "installing Prefect, the tutorial's requirements and the local S3 server (pip)");
  fs.writeFileSync(venvStamp, venvPrint);
}
console.log("[setup] npm packages and Python environment are ready");
