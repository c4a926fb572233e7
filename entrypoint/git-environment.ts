/** The environment every git command of the workspace phase runs with. */
import fs from "node:fs";
import path from "node:path";

/**
 * `base` made safe for unattended git: credentials come only from the .netrc in `base.HOME` (no
 * prompt, no askpass program, no credential helper), and the checkout, which may belong to
 * another uid (a volume filled by an earlier container), is marked safe for these commands only,
 * through GIT_CONFIG_* variables rather than a global config file.
 */
export function gitEnvironment(base: NodeJS.ProcessEnv, checkoutDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  // Inherited repository overrides would point every command at some other repository.
  for (const name of ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_COMMON_DIR", "GIT_NAMESPACE"]) delete env[name];

  // An empty GIT_ASKPASS also stops git from falling back to core.askPass and SSH_ASKPASS.
  Object.assign(env, { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "",
    GCM_INTERACTIVE: "never", LC_ALL: "C", LANGUAGE: "" });
  // A folder without .git must not be taken for part of a repository further up. git compares
  // both settings with real paths (symlinks resolved), so both spellings are given.
  const checkout = path.resolve(checkoutDir);
  const parent = realPath(path.dirname(checkout));
  env.GIT_CEILING_DIRECTORIES = parent;

  const config: [string, string][] = [
    ["safe.directory", checkout],
    ["safe.directory", path.join(parent, path.basename(checkout))],
    ["credential.helper", ""],
    ["advice.detachedHead", "false"],
  ];
  let count = Number.parseInt(env.GIT_CONFIG_COUNT ?? "0", 10) || 0;
  for (const [key, value] of config) {
    env[`GIT_CONFIG_KEY_${count}`] = key;
    env[`GIT_CONFIG_VALUE_${count}`] = value;
    count += 1;
  }
  env.GIT_CONFIG_COUNT = String(count);
  return env;
}

function realPath(folder: string): string {
  try {
    return fs.realpathSync(folder);
  } catch {
    return folder;
  }
}
