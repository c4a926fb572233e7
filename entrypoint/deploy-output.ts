/**
 * The reason a `prefect deploy` failed, in one sentence, from its output. Prefect 3 prints a
 * ValueError's message as the last thing before exiting 1 (missing pool, no entrypoint), and a
 * full traceback followed by "An exception occurred." for anything else (a flow file that is
 * missing or does not compile).
 */

const known: [RegExp, (match: RegExpExecArray) => string][] = [
  [/references work pool '([^']+)' which does not exist/,
    (m) => `work pool ${m[1]} does not exist on the server`],
  [/An entrypoint must be provided/, () => "it has no entrypoint in the manifest"],
  [/A work pool is required to deploy this flow/, () => "it names no work pool"],
];

/** A traceback's closing line: `package.module.SomeError: message`. */
const exceptionLine = /^(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*(?:Error|Exception)): (.+)$/;

export function failureReason(output: string[]): string {
  const lines = output.map((line) => line.trim()).filter((line) => line !== "");
  const text = lines.join("\n");

  if (text.includes("Skipping deployment configuration due to validation errors")) {
    const fields = lines.filter((line) => line.startsWith("•"))
      .map((line) => line.slice(1).trim());
    const listed = fields.length > 0 ? `: ${fields.join("; ")}` : "";
    return `the manifest fails Prefect's validation${listed}`;
  }
  for (const [pattern, explain] of known) {
    const match = pattern.exec(text);
    if (match) return explain(match);
  }

  const exception = lines.map((line) => exceptionLine.exec(line)).filter((m) => m !== null).at(-1);
  if (exception) {
    const script = /Script at '([^']+)' encountered an exception/.exec(text);
    return `${script ? `${script[1]}: ` : ""}${exception[1]}: ${exception[2]}`.slice(0, 400);
  }
  const last = lines.filter((line) => line !== "An exception occurred.").at(-1);
  return last?.slice(0, 400) ?? "prefect deploy printed nothing";
}
