/**
 * The resync loop's policy, driven by scripted sync and register steps: what is registered
 * again, what is retried, and what is said only once. The real git and Prefect behind those
 * steps are covered by test/integration/resync.test.ts.
 */
import { describe, expect, it } from "vitest";

import { createLogger } from "../../entrypoint/log.js";
import { startResync } from "../../entrypoint/resync.js";
import type { WorkspaceResult } from "../../entrypoint/workspace.js";

type Step = Partial<WorkspaceResult> | Error;

/**
 * Runs the loop over `syncs` (one per interval, the last repeated), with the Prefect API down for
 * the first `apiDown` checks and `registrations` failing in turn.
 */
async function resync(syncs: Step[], options: { registrations?: (Error | undefined)[];
  apiDown?: number; startCommit?: string | null } = {}) {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ level: "info", format: "json" }, [],
    { write: (line: string) => { lines.push(JSON.parse(line) as Record<string, unknown>); } });
  const registered: string[] = [];
  let synced = 0;
  let attempts = 0;
  let apiChecks = 0;
  const done = new AbortController();

  const loop = startResync({
    intervalMs: 1, log,
    commit: options.startCommit === null ? undefined : options.startCommit ?? "a".repeat(40),
    sync: async () => {
      const step = syncs[Math.min(synced, syncs.length - 1)]!;
      synced += 1;
      if (synced >= syncs.length + 4 + (options.apiDown ?? 0)) done.abort();
      if (step instanceof Error) throw step;
      return { outcome: "updated", checkoutDir: "/flows/w", branch: "main", ...step };
    },
    apiReady: async () => {
      apiChecks += 1;
      if (apiChecks <= (options.apiDown ?? 0)) {
        throw new Error("GET http://prefect/api/ready failed: ECONNREFUSED");
      }
    },
    register: async (workspace) => {
      const failure = options.registrations?.[attempts];
      attempts += 1;
      if (failure) throw failure;
      registered.push(workspace.commit!);
      return [];
    },
  }, done.signal);
  await new Promise<void>((resolve) => done.signal.addEventListener("abort", () => resolve()));
  await loop.stop();

  const said = (outcome: string) => lines.filter((l) => l.phase === "resync" &&
    l.outcome === outcome);
  return { registered, attempts, said, lines };
}

const b = "b".repeat(40);
const c = "c".repeat(40);

describe("the resync loop", () => {
  it("registers each new commit once and nothing while the branch stays put", async () => {
    const { registered, said } = await resync([{ commit: "a".repeat(40) }, { commit: b },
      { commit: b }, { commit: c }]);
    expect(registered).toEqual([b, c]);
    expect(said("moved").map((l) => l.commit)).toEqual([b, c]);
  });

  it("waits for the Prefect API without beginning a registration, then registers the commit",
    async () => {
      const { registered, attempts, said } = await resync([{ commit: b }], { apiDown: 3 });

      expect(attempts).toBe(1);
      expect(registered).toEqual([b]);
      // One "moved", one warning for the three refusals, and one line when it goes through.
      expect(said("moved")).toHaveLength(1);
      expect(said("behind")).toHaveLength(1);
      expect(String(said("behind")[0]?.msg)).toContain("ECONNREFUSED");
      expect(said("caught-up")).toHaveLength(1);
    });

  it("tries a commit again when its registration failed as a whole", async () => {
    const lost = new Error("POST http://prefect/api/deployments/filter failed: ECONNRESET");
    const { registered, attempts, said } = await resync([{ commit: b }],
      { registrations: [lost, lost] });
    expect(attempts).toBe(3);
    expect(registered).toEqual([b]);
    expect(said("behind")).toHaveLength(1);
  });

  it("warns once while git is unreachable and registers what it finds afterwards",
    async () => {
      const stale = { outcome: "stale" as const, commit: "a".repeat(40), detail: "cannot reach" };
      const { registered, said } = await resync([stale, stale, stale, { commit: b }]);
      expect(said("behind")).toHaveLength(1);
      expect(said("caught-up")).toHaveLength(1);
      expect(registered).toEqual([b]);
    });

  it("says so when a sync discarded files edited inside the container", async () => {
    const { said } = await resync([{ outcome: "unchanged", commit: "a".repeat(40),
      detail: "discarded local changes to 2 files" }]);
    expect(said("unchanged").map((l) => l.msg)).toContain("discarded local changes to 2 files");
  });

  it("gives a worker that started without a checkout its first registration", async () => {
    const { registered } = await resync([new Error("git unreachable"), { commit: b }],
      { startCommit: null });
    expect(registered).toEqual([b]);
  });
});
