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
  // The C locale keeps git's messages in the English that failures are classified by.
  Object.assign(env, { GIT_TERMINAL_PROMPT: "0", GIT_ASKPASS: "", SSH_ASKPASS: "",
    LC_ALL: "C", LANGUAGE: "" });
  // A folder without .git must not be taken for part of a repository further up. git 2.39
  // compares safe.directory literally, so the symlink-resolved spelling is listed as well.
  const checkout = path.resolve(checkoutDir);
  const parent = realPath(path.dirname(checkout));
  env.GIT_CEILING_DIRECTORIES = parent;

  const config: [string, string][] = [
    ["safe.directory", checkout],
    ["safe.directory", path.join(parent, path.basename(checkout))],
    ["credential.helper", ""],
    ["advice.detachedHead", "false"],
    // A gc that fetch detaches into the background would still be writing to the checkout
    // while it is cleaned or swapped; in the foreground it is bounded by the command's timeout.
    ["gc.autoDetach", "false"],
    ["maintenance.autoDetach", "false"],
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
