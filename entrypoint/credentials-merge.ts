/** Merging one host's entry into an existing .netrc without disturbing anything else in it. */
import { formatEntry, type NetrcEntry } from "./credentials-netrc.js";

interface Token {
  value: string;
  start: number;
  end: number;
  /** Index of the entry (machine, default or macdef) the token belongs to, -1 before any. */
  item: number;
}

interface Line {
  text: string;
  tokens: Token[];
  /** Where a `#` comment starts, if the line has one after (or instead of) its tokens. */
  commentAt?: number;
  /** Inside a macdef body: free text up to the next empty line, never tokens. */
  macroBody: boolean;
}

/**
 * The file with every entry for `entry.host` replaced by a single new entry, placed before all
 * other entries: curl uses the first entry that matches and treats `default` as matching every
 * host, and it stops reading once it has a login and password, so a malformed entry further
 * down cannot break ours. Comments, other hosts and macros are kept as written.
 */
export function mergeNetrc(existing: string, entry: NetrcEntry): string {
  const lines = scan(existing);
  const removed = entriesOf(lines, entry.host.toLowerCase());

  const kept: { text: string; content: boolean }[] = [];
  for (const line of lines) {
    const gone = line.tokens.filter((token) => removed.has(token.item));
    if (gone.length === 0) {
      kept.push({ text: line.text, content: line.macroBody || line.tokens.length > 0 });
    } else if (gone.length === line.tokens.length) {
      if (line.commentAt !== undefined) {
        kept.push({ text: line.text.slice(line.commentAt), content: false });
      }
    } else {
      kept.push({ text: cut(line, removed), content: true });
    }
  }

  const first = kept.findIndex((line) => line.content);
  const at = first === -1 ? kept.length : first;
  const texts = kept.map((line) => line.text);
  texts.splice(at, 0, formatEntry(entry).trimEnd());
  return `${texts.join("\n")}\n`;
}

/** Splits the file into lines of tokens with curl's quoting rules; tolerant of broken quotes. */
function scan(text: string): Line[] {
  const raw = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const lines: Line[] = [];
  let inMacro = false;
  for (const lineText of raw) {
    if (inMacro) {
      if (lineText === "" || lineText === "\r") inMacro = false;
      else {
        lines.push({ text: lineText, tokens: [], macroBody: true });
        continue;
      }
    }
    const line = tokenize(lineText);
    lines.push(line);
    if (line.tokens.some((token) => token.value.toLowerCase() === "macdef")) inMacro = true;
  }
  return lines;
}

function tokenize(text: string): Line {
  const tokens: Token[] = [];
  let commentAt: number | undefined;
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i += 1;
    if (i >= text.length) break;
    if (text[i] === "#") {
      commentAt = i;
      break;
    }
    const start = i;
    let value = "";
    if (text[i] === '"') {
      i += 1;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === "\\" && i + 1 < text.length) i += 1;
        value += text[i];
        i += 1;
      }
      i = Math.min(i + 1, text.length);
    } else {
      while (i < text.length && !/\s/.test(text[i]!)) value += text[i++];
    }
    tokens.push({ value, start, end: i, item: -1 });
  }
  return { text, tokens, commentAt, macroBody: false };
}

/** Assigns every token to its entry and returns the entries that are `machine <host>`. */
function entriesOf(lines: Line[], host: string): Set<number> {
  const matching = new Set<number>();
  let item = -1;
  let expectingValueOf: string | undefined;
  for (const token of lines.flatMap((line) => line.tokens)) {
    const keyword = token.value.toLowerCase();
    if (expectingValueOf !== undefined) {
      if (expectingValueOf === "machine" && keyword === host) matching.add(item);
      expectingValueOf = undefined;
    } else if (keyword === "machine" || keyword === "default" || keyword === "macdef") {
      item += 1;
      if (keyword !== "default") expectingValueOf = keyword;
    } else if (keyword === "login" || keyword === "password" || keyword === "account") {
      expectingValueOf = keyword;
    }
    token.item = item;
  }
  return matching;
}

/** A line shared by several entries, without the tokens of the removed ones. */
function cut(line: Line, removed: Set<number>): string {
  let text = "";
  let from = 0;
  line.tokens.forEach((token, index) => {
    if (!removed.has(token.item)) return;
    const until = line.tokens[index + 1]?.start ?? line.commentAt ?? line.text.length;
    text += line.text.slice(from, token.start);
    from = until;
  });
  return (text + line.text.slice(from)).trimEnd();
}
