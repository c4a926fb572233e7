/** Keeps credentials out of everything the entrypoint prints, logs or throws. */

const mask = "***";

/** The URL without its userinfo (`user:password@`); unparsable input is cleaned textually. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username === "" && parsed.password === "") return url;
    parsed.username = "";
    parsed.password = "";
    return parsed.toString();
  } catch {
    return stripUserinfo(url);
  }
}

/** Removes the userinfo of every `scheme://user:password@host` found in free text. */
export function stripUserinfo(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@'"]+@/gi, "$1");
}

/**
 * Replaces every occurrence of each secret with `***`, including the forms a secret takes inside
 * URLs and form bodies (percent-encoded with either hex case, spaces as `+`).
 */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") continue;
    const encoded = encodeURIComponent(secret);
    forms.add(secret);
    forms.add(encoded);
    forms.add(encoded.replace(/%[0-9A-F]{2}/g, (escape) => escape.toLowerCase()));
    forms.add(encoded.replace(/%20/g, "+"));
    forms.add(encodeURI(secret));
  }

  // Longest first, so a secret that contains another one is masked whole.
  let result = text;
  for (const form of [...forms].sort((a, b) => b.length - a.length)) {
    result = result.split(form).join(mask);
  }
  return result;
}

/** Both kinds of redaction: what every line of git output goes through before it is shown. */
export function redactText(text: string, secrets: readonly string[]): string {
  return redactSecrets(stripUserinfo(text), secrets);
}
