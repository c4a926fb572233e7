/**
 * The real NYC TLC Green Taxi files that the end-to-end and container tests serve in place of the
 * public distribution: $TLC_DATA_DIR, or shared/data/tlc beside the repository. The tests that
 * need them are skipped, with the reason printed, on a machine that does not have them.
 */
import fs from "node:fs";
import path from "node:path";

import { repoRoot } from "../stack/paths.js";

export const tlcDir = process.env.TLC_DATA_DIR ??
  path.resolve(repoRoot, "..", "shared", "data", "tlc");

const files = ["green_tripdata_2025-01.parquet", "green_tripdata_2025-02.parquet"];

/** Why the tests that need the files are skipped; undefined when both months are there. */
export const tlcMissing: string | undefined = whyMissing();

function whyMissing(): string | undefined {
  const missing = files.filter((file) => !fs.existsSync(path.join(tlcDir, file)));
  if (missing.length === 0) return undefined;
  const reason = `skipping the tests that serve the TLC files: ${missing.join(" and ")} not ` +
    `found in ${tlcDir}; set TLC_DATA_DIR to their folder`;
  console.warn(reason);
  return reason;
}
