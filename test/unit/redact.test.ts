import { describe, expect, it } from "vitest";

import { redactSecrets, redactText, redactUrl, stripUserinfo } from "../../entrypoint/redact.js";

describe("redactUrl", () => {
  it("removes user and password from a URL", () => {
    expect(redactUrl("https://bot:p%40ss@git.example.com:3000/team/ws.git"))
      .toBe("https://git.example.com:3000/team/ws.git");
  });

  it("removes a user name given without a password", () => {
    expect(redactUrl("https://token@git.example.com/ws.git"))
      .toBe("https://git.example.com/ws.git");
  });

  it("returns a URL without userinfo unchanged", () => {
    expect(redactUrl("http://127.0.0.1:3000/ws.git")).toBe("http://127.0.0.1:3000/ws.git");
  });

  it("cleans text that is not a parsable URL", () => {
    expect(redactUrl("http://bot:pw@[bad/ws.git")).toBe("http://[bad/ws.git");
  });
});

describe("stripUserinfo", () => {
  it("removes userinfo from every URL in a message", () => {
    const message = "fatal: unable to access 'https://bot:pw@a.example/x.git/' " +
      "(redirected from http://u:v@b.example/x.git)";
    expect(stripUserinfo(message)).toBe("fatal: unable to access 'https://a.example/x.git/' " +
      "(redirected from http://b.example/x.git)");
  });

  it("leaves e-mail addresses and plain text alone", () => {
    expect(stripUserinfo("Author: Bot <bot@example.com>")).toBe("Author: Bot <bot@example.com>");
  });
});

describe("redactSecrets", () => {
  it("replaces every occurrence of each secret", () => {
    expect(redactSecrets("pw=hunter2; again hunter2; token abc123", ["hunter2", "abc123"]))
      .toBe("pw=***; again ***; token ***");
  });

  it("replaces percent-encoded forms in either hex case and with + for spaces", () => {
    const secret = "p@ss w/rd:#1";
    const text = [
      encodeURIComponent(secret),
      encodeURIComponent(secret).toLowerCase(),
      encodeURIComponent(secret).replace(/%20/g, "+"),
      encodeURI(secret),
    ].join(" | ");

    expect(redactSecrets(text, [secret])).toBe("*** | *** | *** | ***");
  });

  it("masks a secret whole when another secret is part of it", () => {
    expect(redactSecrets("value: abcdef", ["abc", "abcdef"])).toBe("value: ***");
  });

  it("ignores empty secrets", () => {
    expect(redactSecrets("nothing to hide", ["", "absent"])).toBe("nothing to hide");
  });

  it("treats regular expression characters in secrets literally", () => {
    expect(redactSecrets("a.*b and axxb", ["a.*b"])).toBe("*** and axxb");
  });
});

describe("redactText", () => {
  it("strips URL userinfo and masks secrets in one pass", () => {
    expect(redactText("cloning http://bot:hunter2@h/x.git failed: hunter2", ["hunter2"]))
      .toBe("cloning http://h/x.git failed: ***");
  });
});
