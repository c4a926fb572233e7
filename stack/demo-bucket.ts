/**
 * Lists what the flow left in object storage, independently of the flow: boto3 from the project's
 * Python environment, speaking S3 to the local server as any client of R2 would.
 */
import { execa } from "execa";

import { venvBin } from "./paths.js";

export interface StoredObject {
  key: string;
  size: number;
}

const listScript = `
import boto3, json, os
s3 = boto3.client("s3", endpoint_url=os.environ["R2_ENDPOINT"],
    aws_access_key_id=os.environ["R2_ACCESS_KEY"],
    aws_secret_access_key=os.environ["R2_SECRET_KEY"], region_name=os.environ["R2_REGION"])
pages = s3.get_paginator("list_objects_v2").paginate(
    Bucket=os.environ["R2_BUCKET"], Prefix=os.environ["LIST_PREFIX"])
print(json.dumps([{"key": o["Key"], "size": o["Size"]}
    for page in pages for o in page.get("Contents", [])]))
`;

/** Objects of the bucket whose key starts with `prefix`, sorted by key. */
export async function listObjects(storageEnv: Record<string, string>, prefix: string):
  Promise<StoredObject[]> {
  // The secret travels in the environment, never in the arguments.
  const result = await execa(venvBin("python"), ["-c", listScript], {
    env: { ...process.env, ...storageEnv, LIST_PREFIX: prefix },
    reject: false,
  });
  if (result.exitCode !== 0) {
    throw new Error(`listing s3://${storageEnv.R2_BUCKET}/${prefix} at ` +
      `${storageEnv.R2_ENDPOINT} failed (exit ${result.exitCode}):\n` +
      result.stderr.split("\n").slice(-5).join("\n"));
  }
  const objects = JSON.parse(result.stdout) as StoredObject[];
  return objects.sort((a, b) => a.key.localeCompare(b.key));
}
