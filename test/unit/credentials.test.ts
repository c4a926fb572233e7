import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

import { execa } from "execa";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { NetrcError, writeNetrc } from "../../entrypoint/credentials.js";
import { bareHost, encodeToken } from "../../entrypoint/credentials-netrc.js";

let home: string;
const netrc = () => fs.readFileSync(path.join(home, ".netrc"), "utf8");

beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), "netrc-home-"));
});
afterEach(() => {
  fs.rmSync(home, { recursive: true, force: true });
});

describe("writeNetrc", () => {
  it("creates ~/.netrc readable by its owner only", async () => {
    const result = await writeNetrc({ home, host: "git.example.com", login: "bot",
      password: "s3cret" });

    expect(result).toEqual({ path: path.join(home, ".netrc"), action: "created" });
    expect(netrc()).toBe("machine git.example.com\n  login bot\n  password s3cret\n");
    expect(fs.statSync(result.path).mode & 0o777).toBe(0o600);
  });

  it("stores a host given with a port as the bare host name curl matches", async () => {
    await writeNetrc({ home, host: "127.0.0.1:3000", login: "bot", password: "pw" });
    await writeNetrc({ home, host: "[::1]:8443", login: "bot", password: "pw" });

    expect(netrc()).toMatch(/^machine ::1\n/m);
    expect(netrc()).toMatch(/^machine 127\.0\.0\.1\n/m);
    expect(netrc()).not.toContain(":3000");
  });

  it("keeps other hosts' entries and comments, replacing the same host's entry", async () => {
    const before = [
      "# personal machines",
      "machine other.example.com login me password mine # my laptop",
      "machine GIT.example.com login old password oldpw",
      "",
      "macdef init",
      "cd /pub",
      "",
      "default login anonymous password guest",
      "",
    ].join("\n");
    fs.writeFileSync(path.join(home, ".netrc"), before, { mode: 0o644 });

    const result = await writeNetrc({ home, host: "git.example.com", login: "bot",
      password: "new" });

    expect(result.action).toBe("updated");
    expect(netrc()).toBe([
      "# personal machines",
      "machine git.example.com",
      "  login bot",
      "  password new",
      "machine other.example.com login me password mine # my laptop",
      "",
      "macdef init",
      "cd /pub",
      "",
      "default login anonymous password guest",
      "",
    ].join("\n"));
    expect(fs.statSync(result.path).mode & 0o777).toBe(0o600);
  });

  it("removes the same host's entry from a line it shares with another host", async () => {
    fs.writeFileSync(path.join(home, ".netrc"),
      "machine a.example login x password y machine git.example.com login u password p\n");

    await writeNetrc({ home, host: "git.example.com", login: "bot", password: "pw" });

    expect(netrc()).toBe("machine git.example.com\n  login bot\n  password pw\n" +
      "machine a.example login x password y\n");
  });

  it("puts its entry ahead of a default entry, which curl would otherwise use", async () => {
    fs.writeFileSync(path.join(home, ".netrc"), "default login anonymous password guest\n");

    await writeNetrc({ home, host: "git.example.com", login: "bot", password: "pw" });

    expect(netrc().indexOf("machine git.example.com")).toBe(0);
  });

  it("reports unchanged and leaves the file alone when the entry is already there", async () => {
    const options = { home, host: "git.example.com", login: "bot", password: 'a "b" #c' };
    await writeNetrc(options);
    const written = fs.statSync(path.join(home, ".netrc"));

    const again = await writeNetrc(options);

    expect(again.action).toBe("unchanged");
    expect(fs.statSync(again.path).ino).toBe(written.ino);
  });

  it("replaces the file by rename, leaving no temporary file behind", async () => {
    await writeNetrc({ home, host: "h", login: "bot", password: "one" });
    const first = fs.statSync(path.join(home, ".netrc")).ino;

    await writeNetrc({ home, host: "h", login: "bot", password: "two" });

    expect(fs.statSync(path.join(home, ".netrc")).ino).not.toBe(first);
    expect(fs.readdirSync(home)).toEqual([".netrc"]);
  });

  it("refuses a password curl cannot read back, naming the limit, not the password", async () => {
    const long = "x".repeat(5000);
    const attempts = [
      writeNetrc({ home, host: "h", login: "bot", password: "nul\0byte" }),
      writeNetrc({ home, host: "h", login: "bot", password: long }),
      writeNetrc({ home, host: "h", login: "bot", password: "" }),
    ];

    const errors = await Promise.all(attempts.map((attempt) => attempt.then(
      () => new Error("written although it should have been refused"), (e: Error) => e)));
    expect(errors.map((e) => e instanceof NetrcError)).toEqual([true, true, true]);
    expect(errors[0]!.message).toMatch(/NUL character/);
    expect(errors[1]!.message).toMatch(/longer than 4095 bytes/);
    expect(errors[2]!.message).toMatch(/password for h is empty/);
    for (const error of errors) expect(error.message).not.toMatch(/nul.byte|xxxx/);
    expect(fs.existsSync(path.join(home, ".netrc"))).toBe(false);
  });
});

describe("netrc tokens", () => {
  it("writes plain values unquoted, for netrc readers older than curl 7.84", () => {
    expect(encodeToken("ghp_AbC-123.x/y:z@w", "v")).toBe("ghp_AbC-123.x/y:z@w");
  });

  it("quotes and escapes values with spaces, quotes, hashes and backslashes", () => {
    expect(encodeToken(`a b"c'd#e\\f`, "v")).toBe(`"a b\\"c'd#e\\\\f"`);
    expect(encodeToken("#lead", "v")).toBe('"#lead"');
    expect(encodeToken("tab\there\nnl", "v")).toBe('"tab\\there\\nnl"');
  });

  it("strips scheme, port and brackets from host names", () => {
    expect(bareHost("https://Git.Example.com:3000")).toBe("git.example.com");
    expect(bareHost("git.example.com:3000")).toBe("git.example.com");
    expect(bareHost("[fd00::1]:3000")).toBe("fd00::1");
    expect(bareHost("git.example.com")).toBe("git.example.com");
  });
});

describe("netrc read by git's curl", () => {
  const awkward = [
    "plain",
    "with space",
    `double"quote`,
    "single'quote",
    "#leading-hash",
    "mid#hash",
    "at@sign/slash:colon",
    '"starts-with-quote',
    "back\\slash",
    `all of them: " ' # @ / : \\ end`,
    "ünïcødé€",
    "tab\tand\nnewline",
  ];

  it.each(awkward)("sends back exactly the password %j", async (password) => {
    await writeNetrc({ home, host: "127.0.0.1", login: "bot user", password });

    const received = await credentialsGitSends(home);

    expect(received).toBe(`bot user:${password}`);
  });
});

/** Asks git to fetch from a server that demands basic auth and returns what git sent. */
async function credentialsGitSends(homeDir: string): Promise<string | undefined> {
  let received: string | undefined;
  const server = http.createServer((req, res) => {
    const header = req.headers.authorization;
    if (header?.startsWith("Basic ")) {
      received = Buffer.from(header.slice(6), "base64").toString("utf8");
      res.writeHead(404).end();
    } else {
      res.writeHead(401, { "WWW-Authenticate": 'Basic realm="t"' }).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  try {
    await execa("git", ["ls-remote", `http://127.0.0.1:${port}/repo.git`], {
      env: { HOME: homeDir, PATH: process.env.PATH, GIT_TERMINAL_PROMPT: "0",
        GIT_ASKPASS: "", SSH_ASKPASS: "" },
      extendEnv: false, reject: false, timeout: 20_000,
    });
  } finally {
    server.close();
  }
  return received;
}
