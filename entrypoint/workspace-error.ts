/** The one error type of the workspace phase. */

/** Why the workspace could not be synced, for callers that react differently per case. */
export type WorkspaceFailure =
  | "auth" /* the server refused the credentials */
  | "not-found" /* no repository at the URL */
  | "branch" /* the branch to check out does not exist */
  | "config" /* the options cannot work, e.g. credentials inside the URL */
  | "filesystem" /* the checkout folder cannot be written or replaced */
  | "git"; /* any other git failure */

/** Message = what failed + the URL (credentials removed) + a hint; the original is `cause`. */
export class WorkspaceError extends Error {
  override name = "WorkspaceError";
  readonly failure: WorkspaceFailure;

  constructor(message: string, options: { failure: WorkspaceFailure; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.failure = options.failure;
  }
}
