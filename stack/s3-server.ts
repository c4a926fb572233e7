/**
 * A local S3-compatible server standing in for Cloudflare R2: moto's standalone server, spoken to
 * over real HTTP by boto3 and DuckDB exactly as R2 would be.
 */
import { randomBytes } from "node:crypto";
import path from "node:path";

import { execa } from "execa";

import { freePort } from "./ports.js";
import { startService, waitUntil } from "./service.js";
import { stackDir, venvBin } from "./paths.js";

export interface S3ServerOptions {
  port?: number;
  /** Created empty when the server is up; defaults to "nexus-tutorials". */
  bucket?: string;
  logFile?: string;
}

export interface S3Server {
  /** e.g. http://127.0.0.1:9000, what R2_ENDPOINT is set to. */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
  readonly logFile: string;
  /** The variables the tutorial flow reads its object-storage settings from. */
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

/** Starts the server and creates the bucket with boto3, as an operator would. */
export async function startS3Server(options: S3ServerOptions = {}): Promise<S3Server> {
  const port = options.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const logFile = options.logFile ?? path.join(stackDir, "logs", `s3-server-${port}.log`);
  const bucket = options.bucket ?? "nexus-tutorials";
  const accessKey = "local-stack";
  const secretKey = randomBytes(18).toString("base64url");
  const region = "us-east-1";

  const service = startService("S3 server", venvBin("moto_server"),
    ["-H", "127.0.0.1", "-p", String(port)], { logFile });
  await waitUntil(service, `listening on ${endpoint}`, 60_000,
    async () => (await fetch(`${endpoint}/moto-api/`)).ok);

  const env = {
    R2_ENDPOINT: endpoint, R2_ACCESS_KEY: accessKey, R2_SECRET_KEY: secretKey,
    R2_BUCKET: bucket, R2_REGION: region,
  };
  await execa(venvBin("python"), ["-c", [
    "import boto3, os",
    "s3 = boto3.client('s3', endpoint_url=os.environ['R2_ENDPOINT'],",
    "    aws_access_key_id=os.environ['R2_ACCESS_KEY'],",
    "    aws_secret_access_key=os.environ['R2_SECRET_KEY'], region_name=os.environ['R2_REGION'])",
    "s3.create_bucket(Bucket=os.environ['R2_BUCKET'])",
  ].join("\n")], { env: { ...process.env, ...env } });

  return {
    endpoint, accessKey, secretKey, bucket, region, logFile, env,
    stop: () => service.stop(),
  };
}
