/**
 * The JSON API's HTTP plumbing, shared by the native (app/routes/_api+) and reference-compatible
 * (app/routes/_seed+) routes: request parsing (JSON bodies with a size limit, path and query
 * parameters through zod), and errors as `{"error": "...", "details": {...}}` (`errorBody`) with the
 * right status. Every API route runs inside `api()`.
 */
import type { Logger } from "pino";
import { ZodError, type ZodType, z } from "zod";
import { ApiError, NotFoundError, RequestError, TooSoonError, ValidationError } from "../errors.js";
import { assertSeriesExists } from "../forecasting/series-data.server.js";
import type { Database } from "../platform/db.server.js";
import { hasNul, MAX_INT32, MAX_PRODUCT_NAME } from "../rossmann.js";

/** Request bodies above this are refused with 413 (server.ts refuses a larger Content-Length up front). */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The reference batch forecast's body limit: the seed's full batch (11,150 items) is about 1.4 MB. */
export const SEED_FORECAST_MAX_BODY_BYTES = 16 * 1024 * 1024;

/** The body limit of an API path: MAX_BODY_BYTES but for the reference batch forecast. */
export function bodyLimitOf(pathname: string): number {
  return pathname === "/api/forecasters/forecast" ? SEED_FORECAST_MAX_BODY_BYTES : MAX_BODY_BYTES;
}

/** Whether a path is the reference-compatible API's (its errors are FastAPI's `{"detail": ...}`). */
export const isSeedPath = (pathname: string): boolean => /^\/api\/(forecasters|trainers)(\/|$)/.test(pathname);

/** An error body in the format of the path's API: FastAPI's `{"detail"}` under the reference prefixes, ours elsewhere. */
export function apiErrorJson(pathname: string, error: string, details: Record<string, unknown> = {}): object {
  return isSeedPath(pathname) ? { detail: error, ...details } : { error, details };
}

export function notFound(entity: string, message: string, details: Record<string, unknown> = {}): ApiError {
  return new ApiError(404, message, { entity, ...details });
}

/** Every error answer's body (the OpenAPI document's `Error`). */
export const errorBody = z
  .strictObject({
    error: z.string().describe("what went wrong, in words"),
    details: z
      .record(z.string(), z.unknown())
      .describe(
        "`field` (400: the input at fault, e.g. `begin`, `[3].store_id`), `issues` (400: every " +
          "problem), `entity` (404: store, product, model, version, forecast, job, pipeline-run) and the ids",
      ),
  })
  .meta({ id: "Error" });

export function errorResponse(
  status: number,
  error: string,
  details: Record<string, unknown> = {},
  headers?: HeadersInit,
): Response {
  const body: z.input<typeof errorBody> = { error, details };
  return Response.json(body, { status, headers });
}

/** The headers an error answer carries: Retry-After for one asked again too soon. */
export function errorHeaders(err: RequestError): HeadersInit | undefined {
  return err instanceof TooSoonError ? { "Retry-After": String(err.retryAfterSeconds) } : undefined;
}

/** A zod path as one string: `[3].store_id`, `begin`. */
export function fieldPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out || "body";
}

/** The client left while its request waited (its signal aborted the work): nobody reads the answer. */
export const CLIENT_GONE = 499;

/** Whether `err` is work given up because the client left (an AbortError), not a failure. */
export const isClientGone = (err: unknown): boolean => err instanceof Error && err.name === "AbortError";

/** Maps what the domain modules throw to API responses; anything unexpected is a logged 500. */
export function toErrorResponse(err: unknown, log?: Pick<Logger, "error">): Response {
  if (err instanceof Response) return err;
  if (isClientGone(err)) return errorResponse(CLIENT_GONE, "client closed the request", {});
  if (err instanceof RequestError) return errorResponse(err.status, err.message, err.details(), errorHeaders(err));
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ field: fieldPath(i.path), message: i.message }));
    const first = issues[0] ?? { field: "body", message: "invalid input" };
    return errorResponse(400, `${first.field}: ${first.message}`, { field: first.field, issues });
  }
  log?.error({ err }, "api: unexpected error");
  return errorResponse(500, "internal error: the request could not be completed", {});
}

/** Runs a route body, answering any error as JSON (an unexpected one is logged through the context's logger). */
export async function api(
  context: { log?: Pick<Logger, "error"> },
  fn: () => Promise<Response> | Response,
): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return toErrorResponse(err, context.log);
  }
}

/** For a resource route's `action` (or `loader`) when the method is not one it serves. */
export function methodNotAllowed(allowed: string[]): Response {
  const body: z.input<typeof errorBody> = {
    error: `method not allowed: use ${allowed.join(" or ")}`,
    details: { allowed },
  };
  return Response.json(body, { status: 405, headers: { Allow: allowed.join(", ") } });
}

/** Refuses any method not listed (405 with Allow). */
export function allowMethods(request: Request, allowed: string[]): void {
  if (!allowed.includes(request.method)) throw methodNotAllowed(allowed);
}

// -------------------------------------------------------------------------------------------------
// Bodies

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/** An oversized body is read and dropped up to this size before the 413; beyond, the connection is cut. */
const DRAIN_LIMIT_BYTES = 64 * 1024 * 1024;

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<void> {
  let left = budget;
  while (left > 0) {
    const { done, value } = await reader.read();
    if (done) return;
    left -= value.byteLength;
  }
  await reader.cancel().catch(() => {});
}

/** The error of a body over `limit` bytes (413 naming the body and the limit). */
export const bodyTooLarge = (limit: number): ApiError =>
  new ApiError(413, `request body too large: at most ${limit} bytes`, { field: "body", limitBytes: limit });

/** Reads the body as UTF-8 text, at most `limit` bytes (413 beyond): see readBodyBytes. */
export async function readBodyText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  return (await readBodyBytes(request, limit)).toString("utf8");
}

/**
 * Reads the body, at most `limit` bytes (413 beyond). The Content-Length header is checked first;
 * a chunked body is counted as it arrives and the read stops at the limit.
 */
export async function readBodyBytes(request: Request, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const tooLarge = () => bodyTooLarge(limit);
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      // Read the rest and drop it, so the client gets the 413 rather than a reset connection
      // (cancelling destroys the socket); past DRAIN_LIMIT_BYTES it is not worth the bandwidth.
      await drain(reader, DRAIN_LIMIT_BYTES - size);
      throw tooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/**
 * Parses a JSON body and validates it: 415 for a declared non-JSON type, 413 over the limit, 400
 * for malformed JSON or a value the schema refuses (details name the field). An absent body is
 * `undefined` (so a schema with a default can make the body optional).
 */
export async function readJson<T>(request: Request, schema: ZodType<T>, limit = MAX_BODY_BYTES): Promise<T> {
  const type = request.headers.get("content-type");
  if (type && !JSON_TYPE.test(type)) {
    throw new ApiError(415, `unsupported content type "${type}": send application/json`, {
      field: "content-type",
      expected: "application/json",
    });
  }
  const text = await readBodyText(request, limit);
  let value: unknown;
  if (text.trim() === "") {
    value = undefined;
  } else {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ApiError(400, `malformed JSON body: ${(err as Error).message}`, { field: "body" });
    }
  }
  return schema.parse(value);
}

// -------------------------------------------------------------------------------------------------
// Parameters

/** A store number from a path or body: digits only, a positive 32-bit integer (400 naming `field`). */
export function parseStore(value: string | number | undefined, field = "store"): number {
  const text = String(value ?? "");
  const n = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_INT32) {
    throw new ValidationError(field, `${field} must be a positive integer store number, got "${text}"`);
  }
  return n;
}

/** A product name from a path or form: 1 to MAX_PRODUCT_NAME characters, no NUL (400 naming `field`). */
export function parseProduct(value: string | undefined, field = "product"): string {
  const text = value ?? "";
  if (text.length === 0 || text.length > MAX_PRODUCT_NAME) {
    throw new ValidationError(field, `${field} must be 1 to ${MAX_PRODUCT_NAME} characters`);
  }
  if (hasNul(text)) throw new ValidationError(field, `${field} must not contain a NUL character`);
  return text;
}

export function parsePositiveInt(value: string | undefined, field: string): number {
  const text = value ?? "";
  const n = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_INT32) {
    throw new ValidationError(field, `${field} must be a positive integer, got "${text}"`);
  }
  return n;
}

/** The path's `store` and `product`, checked. */
export function seriesParams(params: Record<string, string | undefined>): { store: number; productname: string } {
  return { store: parseStore(params.store), productname: parseProduct(params.product) };
}

/** Query parameters through a zod schema; empty values count as absent. */
export function parseQuery<T>(request: Request, schema: ZodType<T>): T {
  const entries = [...new URL(request.url).searchParams.entries()].filter(([, v]) => v !== "");
  return schema.parse(Object.fromEntries(entries));
}

/** `?limit=` and friends: an integer within bounds, with a default. */
export const queryInt = (min: number, max: number, fallback: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

// -------------------------------------------------------------------------------------------------
// Lookups

/** 404 naming the store, or the product, unless the series has sales history. */
export async function assertSeries(db: Database, store: number, productname: string): Promise<void> {
  try {
    await assertSeriesExists(db, { store, productname });
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    throw notFound(err.entity, err.message, err.entity === "store" ? { store } : { store, product: productname });
  }
}
