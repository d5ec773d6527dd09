/**
 * The JSON API's shared parts: request parsing (JSON bodies with a size limit, path and query
 * parameters, zod schemas), errors as `{"error": "...", "details": {...}}` with the right status,
 * and the JSON shapes of jobs. Every route under app/routes/api.* runs inside `api()`.
 */
import type { AppLoadContext } from "@remix-run/node";
import { ZodError, type ZodType, z } from "zod";
import { DAY_MS, formatDay, parseDay, todayDay } from "../days.js";
import { ApiError, NotFoundError, RequestError, ValidationError } from "../errors.js";
import { assertSeriesExists } from "../forecasting/series-data.server.js";
import { JOB_KINDS, type JobInfo, type JobQueue } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../rossmann.js";

/** Request bodies above this are refused with 413 (server.ts refuses a larger Content-Length up front). */
export const MAX_BODY_BYTES = 1024 * 1024;

export function notFound(entity: string, message: string, details: Record<string, unknown> = {}): ApiError {
  return new ApiError(404, message, { entity, ...details });
}

export function errorResponse(status: number, error: string, details: Record<string, unknown> = {}): Response {
  return Response.json({ error, details }, { status });
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

/** Maps what the domain modules throw to API responses; anything unexpected is a logged 500. */
export function toErrorResponse(err: unknown): Response {
  if (err instanceof Response) return err;
  if (err instanceof RequestError) return errorResponse(err.status, err.message, err.details());
  if (err instanceof ZodError) {
    const issues = err.issues.map((i) => ({ field: fieldPath(i.path), message: i.message }));
    const first = issues[0] ?? { field: "body", message: "invalid input" };
    return errorResponse(400, `${first.field}: ${first.message}`, { field: first.field, issues });
  }
  console.error("storecast api: unexpected error", err);
  return errorResponse(500, "internal error: the request could not be completed", {});
}

/** Runs a route body, answering any error as JSON. */
export async function api(fn: () => Promise<Response> | Response): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    return toErrorResponse(err);
  }
}

/** For a resource route's `action` (or `loader`) when the method is not one it serves. */
export function methodNotAllowed(allowed: string[]): Response {
  return Response.json(
    { error: `method not allowed: use ${allowed.join(" or ")}`, details: { allowed } },
    { status: 405, headers: { Allow: allowed.join(", ") } },
  );
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

/**
 * Reads the body as UTF-8 text, at most `limit` bytes (413 beyond). The Content-Length header is
 * checked first; a chunked body is counted as it arrives and the read stops at the limit.
 */
export async function readBodyText(request: Request, limit = MAX_BODY_BYTES): Promise<string> {
  const tooLarge = () =>
    new ApiError(413, `request body too large: at most ${limit} bytes`, { field: "body", limitBytes: limit });
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) throw tooLarge();
  if (!request.body) return "";
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
  return Buffer.concat(chunks).toString("utf8");
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

export function parseProduct(value: string | undefined, field = "product"): string {
  const text = value ?? "";
  if (text.length === 0 || text.length > MAX_PRODUCT_NAME) {
    throw new ValidationError(field, `${field} must be 1 to ${MAX_PRODUCT_NAME} characters`);
  }
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

/** The job queue from the load context (503 while it is not wired). */
export function jobQueue(context: AppLoadContext): JobQueue {
  const jobs = (context as AppLoadContext & { jobs?: JobQueue }).jobs;
  if (!jobs) throw new ApiError(503, "the job queue is not available in this process", { service: "jobs" });
  return jobs;
}

export async function getJobOr404(jobs: JobQueue, id: string): Promise<JobInfo> {
  const job = id.length <= 200 ? await jobs.get(id) : null;
  if (!job) throw notFound("job", `unknown job ${id}`, { job: id });
  return job;
}

export const FINAL_STATUSES = new Set(["SUCCEEDED", "FAILED", "STOPPED"]);

/** A job as the API shows it. */
export function jobJson(job: JobInfo) {
  return {
    id: job.id,
    kind: job.kind,
    data: job.data,
    status: job.status,
    progress: job.progress,
    result: job.result ?? null,
    error: job.error,
    attempts: job.attempts,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    links: {
      self: `/api/jobs/${encodeURIComponent(job.id)}`,
      events: `/api/jobs/${encodeURIComponent(job.id)}/events`,
    },
  };
}

/** The 202 answer to anything that enqueues a job. */
export async function acceptedJob(jobs: JobQueue, enqueued: { id: string; deduplicated: boolean }): Promise<Response> {
  const job = await jobs.get(enqueued.id);
  const self = `/api/jobs/${encodeURIComponent(enqueued.id)}`;
  return Response.json(
    {
      job_id: enqueued.id,
      status: job?.status ?? "PENDING",
      deduplicated: enqueued.deduplicated,
      links: { self, events: `${self}/events` },
    },
    { status: 202, headers: { Location: self } },
  );
}

// -------------------------------------------------------------------------------------------------
// Schemas (the OpenAPI document is generated from these too)

const isoDay = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "expected a YYYY-MM-DD date");

export const adhocForecastBody = z.object({
  begin: isoDay.describe("first day, YYYY-MM-DD, inclusive"),
  end: isoDay.describe("last day, YYYY-MM-DD, inclusive; at most 365 days after begin"),
});

export const storesQuery = z.object({
  q: z
    .string()
    .regex(/^\d{1,10}$/, "expected the digits a store number starts with")
    .optional(),
  type: z
    .string()
    .regex(/^[a-dA-D]$/, "expected a store type a, b, c or d")
    .optional(),
  limit: queryInt(1, 1000, 100),
  offset: queryInt(0, 1_000_000, 0),
});

export const jobsQuery = z.object({
  kind: z.enum(JOB_KINDS).optional(),
  limit: queryInt(1, 500, 50),
});

export const runsQuery = z.object({
  kind: z.string().min(1).max(40).optional(),
  limit: queryInt(1, 500, 50),
});

/** The reference system's date format (`YYYY-MM-DDTHH:MM:SSZ`); a bare YYYY-MM-DD is accepted too. */
const SEED_DATE_RE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export const seedForecastItem = z.object({
  store_id: z
    .union([z.number().int().positive(), z.string().regex(/^\d{1,10}$/, "expected a store number")])
    .describe("the store number, as an integer or a string of digits"),
  product_name: z.string().min(1).max(MAX_PRODUCT_NAME),
  begin_date: z
    .string()
    .regex(SEED_DATE_RE, "expected YYYY-MM-DDTHH:MM:SSZ")
    .nullish()
    .describe("first day (inclusive), YYYY-MM-DDTHH:MM:SSZ; default today (UTC)"),
  end_date: z
    .string()
    .regex(SEED_DATE_RE, "expected YYYY-MM-DDTHH:MM:SSZ")
    .nullish()
    .describe("end of the range, EXCLUSIVE, YYYY-MM-DDTHH:MM:SSZ; default begin + 7 days"),
});
export type SeedForecastItem = z.infer<typeof seedForecastItem>;

export const seedForecastBody = z.array(seedForecastItem).min(1, "expected at least one request").max(20_000);

/** The UTC day of a reference-format date (a time of day is dropped; an offset moves it to UTC first). */
export function seedDay(value: string, field: string): number {
  const m = SEED_DATE_RE.exec(value);
  const day = m ? parseDay(m[1]!) : undefined;
  if (!m || day === undefined) throw new ValidationError(field, `${field} must be a real YYYY-MM-DDTHH:MM:SSZ date`);
  const offset = m[5];
  if (!offset || offset === "Z") return day;
  const ms = Date.parse(`${m[1]}T${m[2] ?? "00"}:${m[3] ?? "00"}:${m[4] ?? "00"}${offset}`);
  if (Number.isNaN(ms)) throw new ValidationError(field, `${field} has an invalid time zone offset`);
  return Math.floor(ms / DAY_MS);
}

/** `YYYY-MM-DDT00:00:00Z` for a day number. */
export const seedDateString = (day: number) => `${formatDay(day)}T00:00:00Z`;

export const SEED_MAX_DAYS = 365;

/**
 * The days a reference request covers: [begin, end) by day, end exclusive, so the default (begin
 * today, end begin + 7 days) is exactly 7 days, as in the reference system's weekly forecast.
 */
export function seedRange(
  item: SeedForecastItem,
  index: number,
  today = todayDay(),
): { fromDay: number; endDay: number; days: number } {
  const fromDay = item.begin_date ? seedDay(item.begin_date, `[${index}].begin_date`) : today;
  const endDay = item.end_date ? seedDay(item.end_date, `[${index}].end_date`) : fromDay + 7;
  const days = endDay - fromDay;
  if (days < 1) {
    throw new ValidationError(
      `[${index}].end_date`,
      `[${index}].end_date must be after begin_date (the end is exclusive): ${formatDay(fromDay)} .. ${formatDay(endDay)}`,
    );
  }
  if (days > SEED_MAX_DAYS) {
    throw new ValidationError(
      `[${index}].end_date`,
      `a forecast covers at most ${SEED_MAX_DAYS} days, asked for ${days}`,
    );
  }
  return { fromDay, endDay, days };
}

/** Runs `fn` over `items`, at most `limit` at once, results in input order; the first error rejects. */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, i: number) => Promise<R>) {
  const out = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}
