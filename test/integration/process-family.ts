/**
 * Every process an entrypoint run started, found through the marker variable in the environment
 * that the entrypoint hands down to git, prefect and the worker's flow runs.
 */
import fs from "node:fs";

export interface MarkedProcess {
  pid: number;
  command: string;
}

/** Live (non-zombie) processes whose environment carries `marker`: the entrypoint's family. */
export function processesMarked(marker: string): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  const needle = `ENTRYPOINT_TEST_RUN=${marker}`;
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, "utf8");
      if (!environ.split("\0").includes(needle)) continue;
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
      const command = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ");
      found.push({ pid: Number(entry), command: command.trim() });
    } catch {
      // The process ended while it was being read.
    }
  }
  return found;
}

/** The command lines of all processes of a run, to check no secret is in any argument. */
export function commandLinesOf(marker: string): string {
  return processesMarked(marker).map((p) => p.command).join("\n");
}
