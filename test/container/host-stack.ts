/**
 * What a worker container talks to in the image test, running on the host (containers share its
 * network): a Prefect server, the authenticated git server seeded with the tutorial workspace,
 * an S3-compatible server and a file server with the TLC files.
 */
import { randomBytes } from "node:crypto";

import { startFileServer, type FileServer } from "../../stack/file-server.js";
import { startGitServer, type GitServer } from "../../stack/git-server.js";
import { seedWorkspaceDir } from "../../stack/paths.js";
import { startPrefectServer, type PrefectServer } from "../../stack/prefect-server.js";
import { startS3Server, type S3Server } from "../../stack/s3-server.js";

export interface HostStack {
  prefect: PrefectServer;
  git: GitServer;
  s3: S3Server;
  files: FileServer;
  /** The worker's environment, as compose.yaml sets it, split by whether a value is secret. */
  workerEnv: { env: Record<string, string>; secretEnv: Record<string, string> };
  stop(): Promise<void>;
}

export async function startHostStack(tlcDir: string): Promise<HostStack> {
  const gitUser = { username: "worker", password: randomBytes(18).toString("base64url") };
  const [prefect, git, s3, files] = await Promise.all([
    startPrefectServer(), startGitServer(gitUser), startS3Server(), startFileServer(tlcDir),
  ]);
  await git.createRepo("workspace", { fromDir: seedWorkspaceDir });

  return {
    prefect, git, s3, files,
    workerEnv: {
      env: {
        PREFECT_API_URL: prefect.apiUrl,
        GITEA_REPO_URL: git.repoUrl("workspace"),
        GITEA_USERNAME: gitUser.username,
        TLC_BASE_URL: files.url,
        R2_ENDPOINT: s3.endpoint,
        R2_BUCKET: s3.bucket,
        R2_REGION: s3.region,
        R2_ACCESS_KEY: s3.accessKey,
      },
      secretEnv: { GITEA_PASSWORD: gitUser.password, R2_SECRET_KEY: s3.secretKey },
    },
    stop: async () => {
      await Promise.all([prefect, git, s3, files].map((server) => server.stop()));
    },
  };
}
