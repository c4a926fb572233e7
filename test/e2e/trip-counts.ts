/** Trip counts computed straight from the TLC files, independently of the flow under test. */
import { execa } from "execa";

import { venvBin } from "../../stack/paths.js";

const countScript = `
import json, pathlib, re, sys
import duckdb
counts = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("green_tripdata_*.parquet")):
    month = re.search(r"(\\d{4}-\\d{2})", path.name).group(1)
    query = "SELECT count(*) FROM read_parquet(?)"
    counts[month] = duckdb.execute(query, [str(path)]).fetchone()[0]
print(json.dumps(counts))
`;

/** "2025-01" → rows of green_tripdata_2025-01.parquet, for every such file in `dir`. */
export async function tripsPerMonth(dir: string): Promise<Record<string, number>> {
  const { stdout } = await execa(venvBin("python"), ["-c", countScript, dir]);
  return JSON.parse(stdout) as Record<string, number>;
}
