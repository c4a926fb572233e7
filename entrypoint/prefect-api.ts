/** The few Prefect REST calls the entrypoint makes itself, with the same auth the CLI uses. */
import { PrefectApiError } from "./errors.js";
import { redactUrl } from "./redact.js";

export interface ApiAuth {
  /** PREFECT_API_KEY: sent as a bearer token (Prefect Cloud, or a proxy in front of a server). */
  apiKey?: string;
  /** PREFECT_API_AUTH_STRING (`user:password`): HTTP basic auth of a self-hosted server. */
  authString?: string;
}

export interface ApiAnswer<T> {
  status: number;
  body: T;
}

const requestTimeoutMs = 10_000;

export class PrefectApi {
  /** The base URL as it may be shown: credentials removed. */
  readonly shownUrl: string;

  constructor(readonly baseUrl: string, private readonly auth: ApiAuth,
    private readonly signal: AbortSignal) {
    this.shownUrl = redactUrl(baseUrl);
  }

  /**
   * Sends one request. Answers with a status in `accept` are returned; any other status, and a
   * request that fails outright, throw a PrefectApiError naming the URL and the server's detail.
   */
  async request<T>(method: string, path: string, options: { body?: unknown;
    accept?: number[]; timeoutMs?: number } = {}): Promise<ApiAnswer<T>> {
    const url = `${this.baseUrl}${path}`;
    const shown = `${method} ${this.shownUrl}${path}`;
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: this.headers(options.body !== undefined),
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any([this.signal,
          AbortSignal.timeout(options.timeoutMs ?? requestTimeoutMs)]),
      });
    } catch (error) {
      if (this.signal.aborted) throw error;
      throw new PrefectApiError(`${shown} failed: ${networkReason(error)}`, { cause: error });
    }

    const text = await response.text();
    const accept = options.accept ?? [200, 201];
    if (!accept.includes(response.status)) {
      throw new PrefectApiError(`${shown} answered ${response.status}: ${detail(text)}` +
        hintFor(response.status), { status: response.status });
    }
    return { status: response.status, body: (text === "" ? undefined : JSON.parse(text)) as T };
  }

  private headers(json: boolean): Record<string, string> {
    const headers: Record<string, string> = { accept: "application/json" };
    if (json) headers["content-type"] = "application/json";
    // Like Prefect's own client: the auth string wins over the API key when both are set.
    if (this.auth.authString) {
      headers.authorization = `Basic ${Buffer.from(this.auth.authString).toString("base64")}`;
    } else if (this.auth.apiKey) {
      headers.authorization = `Bearer ${this.auth.apiKey}`;
    }
    return headers;
  }
}

/** fetch() hides the real reason (ECONNREFUSED, ENOTFOUND, timeout) in its cause. */
export function networkReason(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.name === "TimeoutError") return "no answer within the request timeout";
  const cause = error.cause as { code?: string; message?: string } | undefined;
  if (cause?.code) return `${cause.code}${cause.message ? ` (${cause.message})` : ""}`;
  return error.message;
}

function detail(text: string): string {
  try {
    const parsed = JSON.parse(text) as { detail?: unknown; exception_message?: unknown };
    const value = parsed.detail ?? parsed.exception_message ?? parsed;
    return (typeof value === "string" ? value : JSON.stringify(value)).slice(0, 300);
  } catch {
    return text.slice(0, 300) || "(empty body)";
  }
}

function hintFor(status: number): string {
  if (status === 401 || status === 403) {
    return "; check PREFECT_API_AUTH_STRING (self-hosted server with basic auth) or " +
      "PREFECT_API_KEY";
  }
  if (status === 404) return "; check that PREFECT_API_URL ends with /api";
  return "";
}
