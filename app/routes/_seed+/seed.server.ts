/**
 * The reference (seed) system's wire format, as its FastAPI services (pydantic v1) spoke it: its
 * date format and the days a forecast request covers (pandas `date_range`, both ends included), its
 * validation errors (`{"detail": [{"loc", "msg", "type"}]}`, 422) and its other error bodies
 * (`{"detail": "..."}`). Only the routes of app/routes/_seed+ speak this format; the schemas are in
 * contract.server.ts.
 */
import type { Logger } from "pino";
import { DAY_MS, parseDay, todayDay } from "../../days.js";
import { RequestError } from "../../errors.js";
import { CLIENT_GONE, isClientGone } from "../../server/api.server.js";

/** One pydantic v1 error, as FastAPI answers it. */
export interface SeedIssue {
  loc: (string | number)[];
  msg: string;
  type: string;
  ctx?: Record<string, unknown>;
}

/** A request the reference would refuse with 422 (FastAPI's RequestValidationError). */
export class SeedValidationError extends Error {
  constructor(readonly detail: SeedIssue[]) {
    super(detail.map((d) => `${d.loc.join(".")}: ${d.msg}`).join("; "));
    this.name = "SeedValidationError";
  }
}

export const seedIssue = {
  missing: (loc: SeedIssue["loc"]): SeedIssue => ({ loc, msg: "field required", type: "value_error.missing" }),
  none: (loc: SeedIssue["loc"]): SeedIssue => ({
    loc,
    msg: "none is not an allowed value",
    type: "type_error.none.not_allowed",
  }),
  str: (loc: SeedIssue["loc"]): SeedIssue => ({ loc, msg: "str type expected", type: "type_error.str" }),
  list: (loc: SeedIssue["loc"]): SeedIssue => ({ loc, msg: "value is not a valid list", type: "type_error.list" }),
  dict: (loc: SeedIssue["loc"]): SeedIssue => ({ loc, msg: "value is not a valid dict", type: "type_error.dict" }),
  integer: (loc: SeedIssue["loc"]): SeedIssue => ({
    loc,
    msg: "value is not a valid integer",
    type: "type_error.integer",
  }),
  value: (loc: SeedIssue["loc"], msg: string): SeedIssue => ({ loc, msg, type: "value_error" }),
  /** A body that is not JSON: `pos` is where parsing stopped, when the parser says. */
  json: (msg: string, pos: number): SeedIssue => ({
    loc: ["body", pos],
    msg,
    type: "value_error.jsondecode",
    ctx: { msg, pos },
  }),
};

/** FastAPI answers this status for a request its pydantic models refuse. */
export const SEED_INVALID = 422;

/** `{"detail": ...}` with the status; extra keys (e.g. the model a 404 names) beside it. */
export function seedErrorResponse(
  status: number,
  detail: string | SeedIssue[],
  extra: Record<string, unknown> = {},
  headers?: HeadersInit,
): Response {
  return Response.json({ detail, ...extra }, { status, headers });
}

/**
 * Runs a seed route, answering errors as the reference's FastAPI did: 422 with pydantic's issue list,
 * `{"detail": "..."}` for the others (the message, plus the error's details as extra keys), and an
 * unexpected error as a logged 500 `{"detail": "Internal Server Error"}`.
 */
export async function seedCall(
  context: { log?: Pick<Logger, "error"> },
  fn: () => Promise<Response> | Response,
): Promise<Response> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof Response) return err;
    if (err instanceof SeedValidationError) return seedErrorResponse(SEED_INVALID, err.detail);
    if (err instanceof RequestError) return seedErrorResponse(err.status, err.message, err.details());
    if (isClientGone(err)) return seedErrorResponse(CLIENT_GONE, "client closed the request");
    context.log?.error({ err }, "seed api: unexpected error");
    return seedErrorResponse(500, "Internal Server Error");
  }
}

/** What FastAPI answers to a method a path does not serve. */
export function seedMethodNotAllowed(allowed: string[]): Response {
  return seedErrorResponse(405, "Method Not Allowed", {}, { Allow: allowed.join(", ") });
}

// -------------------------------------------------------------------------------------------------
// Dates and ranges

/** The reference's only date format, `datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ")`. */
export const SEED_DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ";
const STRPTIME_RE = /^(\d{4})-(\d{1,2})-(\d{1,2})T(\d{1,2}):(\d{1,2}):(\d{1,2})Z$/;
const SECONDS_PER_DAY = DAY_MS / 1000;

/**
 * Seconds since the epoch (UTC) of a reference date, or the message Python's strptime gives:
 * a string not in the format, or a date or time that does not exist.
 */
export function parseSeedDate(value: string): number | string {
  const m = STRPTIME_RE.exec(value);
  if (!m) return `time data '${value}' does not match format '${SEED_DATE_FORMAT}'`;
  const [mo, d, h, mi, s] = m.slice(2).map(Number) as [number, number, number, number, number];
  if (mo < 1 || mo > 12 || h > 23 || mi > 59 || s > 61) {
    return `time data '${value}' does not match format '${SEED_DATE_FORMAT}'`;
  }
  if (s > 59) return "second must be in 0..59";
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = parseDay(`${m[1]}-${pad(mo)}-${pad(d)}`);
  if (day === undefined) return "day is out of range for month";
  return day * SECONDS_PER_DAY + h * 3600 + mi * 60 + s;
}

/** `YYYY-MM-DDTHH:MM:SS`, as pandas' Timestamp reaches JSON through FastAPI. */
export function seedTimestamp(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19);
}

/** The most days one item may ask for (the reference has no limit; ours protects the process). */
export const SEED_MAX_DAYS = 365;

/** The instants a request covers: pandas `date_range(begin, end, freq="D")`, both ends included. */
export interface SeedRange {
  /** Seconds since the epoch of the first instant (begin). */
  begin: number;
  /** How many daily instants: 0 when end is before begin. */
  count: number;
}

/**
 * The reference's forecast index: begin (default today 00:00 UTC: the reference took the clock's
 * now), end (default begin + 7 days), every day from begin through end, both included, so the
 * default is 8 points, begin == end is one, and end before begin is none. `begin` and `end` are
 * seconds (already parsed).
 */
export function seedRange(begin: number | null, end: number | null, today = todayDay()): SeedRange {
  const from = begin ?? today * SECONDS_PER_DAY;
  const to = end ?? from + 7 * SECONDS_PER_DAY;
  const count = to < from ? 0 : Math.floor((to - from) / SECONDS_PER_DAY) + 1;
  return { begin: from, count };
}

/** The UTC days of a range's instants (the model forecasts days; a time of day keeps its day). */
export function seedRangeDays(range: SeedRange): { fromDay: number; days: number } {
  return { fromDay: Math.floor(range.begin / SECONDS_PER_DAY), days: range.count };
}

/** The timestamps of a range's instants, oldest first. */
export function seedRangeTimestamps(range: SeedRange): string[] {
  return Array.from({ length: range.count }, (_, i) => seedTimestamp(range.begin + i * SECONDS_PER_DAY));
}
