/** A request that cannot be served as asked; `field` names the input at fault (maps to HTTP 400). */
export class ValidationError extends Error {
  override name = "ValidationError";
  /** A job failing with it is not retried: the same input fails the same way (see app/jobs/retries.server.ts). */
  readonly permanent = true;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
