/**
 * The .netrc format as git reads it: git hands authentication to libcurl, so curl's parser
 * (lib/netrc.c, curl 7.84 and later) decides what a token is. Its rules, which this file follows:
 * - tokens are separated by spaces, tabs and line ends, and never span lines;
 * - a token that starts with `"` is quoted: it ends at the next unescaped `"`, a backslash escapes
 *   the next character (`\n`, `\r`, `\t` become control characters); an unterminated quote makes
 *   curl reject the whole file;
 * - anywhere else `"` and `\` are ordinary characters, and `#` where a token would start turns the
 *   rest of the line into a comment;
 * - lines longer than 4095 bytes are skipped without a word;
 * - the first entry that matches the host wins, and a `default` entry matches every host.
 */

export interface NetrcEntry {
  /** Bare host name, as curl compares it: no scheme, no port, no brackets. */
  host: string;
  login: string;
  password: string;
}

/** A credential that cannot be written so that curl reads it back unchanged. */
export class NetrcError extends Error {
  override name = "NetrcError";
}

/** curl reads .netrc lines into a 4096-byte buffer, newline and terminator included. */
const maxLineBytes = 4095;

/** The host as curl matches it against `machine`: lower case, without port and IPv6 brackets. */
export function bareHost(host: string): string {
  const withoutScheme = host.includes("://") ? new URL(host).host : host;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(withoutScheme);
  const name = bracketed ? bracketed[1]! : withoutScheme.replace(/:\d*$/, "");
  return name.toLowerCase();
}

/** One value written as a token curl reads back exactly; quoted only when it has to be. */
export function encodeToken(value: string, what: string): string {
  if (value === "") throw new NetrcError(`${what} is empty; a .netrc entry needs a value`);
  if (value.includes("\0")) {
    throw new NetrcError(`${what} contains a NUL character, which a .netrc file cannot hold; ` +
      "use a credential without it (for example a freshly generated access token)");
  }
  // Quoting also for `'` and `\`: other netrc readers (Python's, used by pip and requests) treat
  // them specially outside quotes, while inside quotes every reader agrees.
  if (/^[^\s"'#\\]+$/.test(value)) return value;
  const escaped = value.replace(/[\\"\n\r\t]/g, (c) =>
    c === "\n" ? "\\n" : c === "\r" ? "\\r" : c === "\t" ? "\\t" : `\\${c}`);
  return `"${escaped}"`;
}

/** The lines of one entry, each checked against curl's line length limit. */
export function formatEntry(entry: NetrcEntry): string {
  const lines = [
    `machine ${encodeToken(entry.host, "the host name")}`,
    `  login ${encodeToken(entry.login, `the login for ${entry.host}`)}`,
    `  password ${encodeToken(entry.password, `the password for ${entry.host}`)}`,
  ];
  for (const line of lines) {
    const bytes = Buffer.byteLength(line) + 1;
    if (bytes > maxLineBytes) {
      const field = line.trimStart().split(" ", 1)[0];
      throw new NetrcError(`the ${field} for ${entry.host} takes ${bytes} bytes in .netrc, but ` +
        `curl (and so git) silently skips .netrc lines longer than ${maxLineBytes} bytes; ` +
        "use a shorter credential");
    }
  }
  return `${lines.join("\n")}\n`;
}
