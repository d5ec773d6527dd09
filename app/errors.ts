/**
 * What a request (an HTTP call, a page form, a job's input) can get wrong, as one family: the HTTP
 * edge answers any RequestError with its status and details (app/server/api.server.ts), and a job
 * failing with one is not retried, since the same input fails the same way
 * (app/jobs/retries.server.ts). Errors of the machinery itself (a database down, a thread crash)
 * are not RequestErrors: they are 500s, and jobs retry them.
 */
export abstract class RequestError extends Error {
  abstract readonly status: number;
  readonly permanent = true;
  /** The JSON error's `details`: what names the input at fault. */
  abstract details(): Record<string, unknown>;
}

/** A request that cannot be served as asked; `field` names the input at fault (HTTP 400). */
export class ValidationError extends RequestError {
  override name = "ValidationError";
  readonly status = 400;
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
  details(): Record<string, unknown> {
    return { field: this.field };
  }
}

/** A model version the registry refuses to store: `field` is the path at fault (e.g. `params.trend[3]`). */
export class InvalidVersionError extends ValidationError {
  override name = "InvalidVersionError";
  constructor(field: string, message: string) {
    super(field, `${field}: ${message}`);
  }
}

export type NotFoundEntity = "store" | "product" | "model" | "version" | "pipeline-run";

/** Something asked for does not exist; the message names it (HTTP 404). */
export class NotFoundError extends RequestError {
  override name = "NotFoundError";
  readonly status = 404;
  constructor(
    readonly entity: NotFoundEntity,
    message: string,
  ) {
    super(message);
  }
  details(): Record<string, unknown> {
    return { entity: this.entity };
  }
}

/** An HTTP-level refusal with its own status and details: 404 of a path, 413, 415, 503... */
export class ApiError extends RequestError {
  override name = "ApiError";
  constructor(
    readonly status: number,
    message: string,
    private readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
  details(): Record<string, unknown> {
    return this.extra;
  }
}

/**
 * Asked again too soon: the same request is accepted after `retryAfterSeconds` (HTTP 429, with a
 * Retry-After header). `limit` names the setting that says how soon (e.g. RETRAIN_COOLDOWN_S).
 */
export class TooSoonError extends RequestError {
  override name = "TooSoonError";
  readonly status = 429;
  constructor(
    message: string,
    readonly limit: string,
    readonly retryAfterSeconds: number,
    private readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
  details(): Record<string, unknown> {
    return { limit: this.limit, retryAfterSeconds: this.retryAfterSeconds, ...this.extra };
  }
}
