/** A request that cannot be served as asked; `field` names the input at fault (maps to HTTP 400). */
export class ValidationError extends Error {
  override name = "ValidationError";
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}
