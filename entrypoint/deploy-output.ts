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

  const last = lines.findLastIndex((line) => exceptionLine.test(line));
  const exception = last >= 0 ? exceptionLine.exec(lines[last]!) : null;
  if (exception) {
    const script = /Script at '([^']+)' encountered an exception/.exec(text);
    const details = validationDetails(exception[2]!, lines.slice(last + 1));
    return `${script ? `${script[1]}: ` : ""}${exception[1]}: ${exception[2]}${details}`
      .slice(0, 400);
  }
  const closing = lines.filter((line) => line !== "An exception occurred.").at(-1);
  return closing?.slice(0, 400) ?? "prefect deploy printed nothing";
}

/**
 * A pydantic ValidationError's message names only the model on its first line; the offending
 * field and the rule follow on the next lines, in pairs.
 */
function validationDetails(message: string, following: string[]): string {
  if (!/validation errors? for \w+$/.test(message)) return "";
  const details = following.filter((line) => !line.startsWith("For further information"))
    .slice(0, 2).map((line) => line.replace(/ \[type=.*$/, ""));
  return details.length === 2 ? `: ${details.join(": ")}` : "";
}
