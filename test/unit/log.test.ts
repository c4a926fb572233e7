import { describe, expect, it } from "vitest";

import { createLogger, formatPretty } from "../../entrypoint/log.js";

function capture(format: "json" | "pretty", secrets: string[]) {
  const lines: string[] = [];
  const log = createLogger({ level: "info", format }, secrets,
    { write: (line: string) => { lines.push(line); } });
  return { log, lines };
}

describe("createLogger", () => {
  it("writes one JSON line per event with the level as a word", () => {
    const { log, lines } = capture("json", []);
    log.info({ phase: "api", durationMs: 12 }, "the Prefect API is ready");
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ level: "info", phase: "api",
      durationMs: 12, msg: "the Prefect API is ready" });
  });

  it("masks a secret wherever a caller put it, escaped for JSON or not", () => {
    const { log, lines } = capture("json", ['pa"ss', "token-123"]);
    log.warn({ error: 'git said pa"ss' }, "cloning with token-123 failed");
    expect(lines.join("")).not.toMatch(/pa\\"ss|token-123/);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({ error: "git said ***",
      msg: "cloning with *** failed" });
  });

  it("keeps lines valid and pino's own fields readable when the secret is short", () => {
    for (const secret of ["info", "2", "0"]) {
      const { log, lines } = capture("json", [secret]);
      log.info({ durationMs: 20, path: `/home/${secret}/x` }, `value ${secret}`);
      const entry = JSON.parse(lines[0] ?? "") as Record<string, unknown>;
      expect(entry).toMatchObject({ level: "info", durationMs: 20, path: "/home/***/x",
        msg: "value ***" });
      expect(String(entry.time)).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
  });

  it("prints readable single lines in pretty format", () => {
    const { log, lines } = capture("pretty", []);
    log.warn({ phase: "registration", deployment: "daily etl", outcome: "failed" },
      "deployment failed");
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  registration: deployment failed /);
    expect(lines[0]).toContain('deployment="daily etl" outcome=failed\n');
    expect(lines[0]?.split("\n")).toHaveLength(2);
  });
});

describe("formatPretty", () => {
  it("passes a line that is not JSON through unchanged", () => {
    expect(formatPretty("plain text\n")).toBe("plain text\n");
  });

  it("indents the stack of a logged error below the line", () => {
    const line = JSON.stringify({ level: "fatal", time: "2025-01-01T10:00:00.000Z", msg: "boom",
      err: { message: "boom", stack: "Error: boom\n    at main (main.ts:1:1)" } });
    expect(formatPretty(line)).toBe("10:00:00.000 FATAL boom\n    Error: boom\n" +
      "    at main (main.ts:1:1)\n");
  });
});
