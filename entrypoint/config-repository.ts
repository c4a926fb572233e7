/**
 * The workspace repository part of the configuration: GITEA_REPO_URL, its credentials and the
 * folder name of the checkout.
 *
 * A URL with credentials in it (`https://user:token@gitea/team/workspace.git`, the form Gitea's
 * own UI hands out for a token) is accepted: the userinfo is moved into username and password and
 * the URL is used without it from then on. Rejecting it would only make people split it by hand;
 * accepting it keeps the credentials out of git's config, the deployments and the logs just the
 * same.
 */
import type { ConfigProblem } from "./errors.js";
import { isHttpUrl } from "./config-fields.js";
import { redactUrl } from "./redact.js";

export interface WorkspaceRepository {
  /** The clone URL without credentials. */
  url: string;
  /** Bare host name, for the ~/.netrc entry. */
  host: string;
  /** Checkout folder name: REPO_NAME, or the URL's last path segment without `.git`. */
  name: string;
  /** $FLOWS_DIR/$REPO_NAME */
  checkoutDir: string;
  /** GIT_BRANCH; undefined means the remote's default branch. */
  branch?: string;
  username?: string;
  password?: string;
}

type RepositoryFromEnv = Omit<WorkspaceRepository, "checkoutDir" | "branch">;

/** Reads GITEA_*; adds what is wrong to `problems`. Undefined when no repository is set. */
export function workspaceRepository(env: Record<string, string>, problems: ConfigProblem[]):
  RepositoryFromEnv | undefined {
  const raw = env.GITEA_REPO_URL;
  if (raw === undefined) {
    if (env.GITEA_USERNAME || env.GITEA_PASSWORD) {
      problems.push({ variable: "GITEA_REPO_URL", problem: "is not set, but GITEA_USERNAME or " +
        "GITEA_PASSWORD is: set the repository's clone URL, or remove the credentials" });
    }
    return undefined;
  }
  if (!isHttpUrl(raw)) {
    problems.push({ variable: "GITEA_REPO_URL", problem: "must be the repository's http:// or " +
      `https:// clone URL, got ${JSON.stringify(redactUrl(raw))} (SSH is not supported: the ` +
      "credentials are GITEA_USERNAME and GITEA_PASSWORD)" });
    return undefined;
  }

  const url = new URL(raw);
  const fromUrl = { username: decode(url.username), password: decode(url.password) };
  url.username = "";
  url.password = "";
  const username = pick("GITEA_USERNAME", env.GITEA_USERNAME, fromUrl.username, problems);
  const password = pick("GITEA_PASSWORD", env.GITEA_PASSWORD, fromUrl.password, problems);
  if ((username === undefined) !== (password === undefined)) {
    const missing = username === undefined ? "GITEA_USERNAME" : "GITEA_PASSWORD";
    problems.push({ variable: missing, problem: "is required when the other credential is " +
      "set: give both GITEA_USERNAME and GITEA_PASSWORD (a password or an access token)" });
  }

  const name = url.pathname.split("/").filter((part) => part !== "").at(-1)?.replace(/\.git$/, "");
  if (!env.REPO_NAME && (!name || !/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name))) {
    problems.push({ variable: "REPO_NAME", problem: "cannot be derived from GITEA_REPO_URL " +
      `${JSON.stringify(url.toString())}: set REPO_NAME to the checkout's folder name` });
  }
  return { url: url.toString(), host: url.hostname, name: name ?? "", username, password };
}

/** The variable wins over the URL's userinfo; two different values are a mistake to report. */
function pick(variable: string, fromEnv: string | undefined, fromUrl: string,
  problems: ConfigProblem[]): string | undefined {
  if (fromEnv !== undefined && fromUrl !== "" && fromEnv !== fromUrl) {
    problems.push({ variable, problem: "differs from the credentials inside GITEA_REPO_URL: " +
      "keep one of the two (values not shown)" });
  }
  return fromEnv ?? (fromUrl === "" ? undefined : fromUrl);
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
