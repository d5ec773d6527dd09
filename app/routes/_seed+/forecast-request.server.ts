/**
 * The reference forecast request, read as its FastAPI service read it: a JSON list of
 * `{store_id: str, product_name: str, begin_date: str | None, end_date: str | None}` under pydantic
 * v1 (a number is taken as its string, other keys ignored), every problem of every item reported at
 * once as a 422 issue. Stricter in two ways: a date not in the reference's format is a 422 here, where
 * the reference failed with a bare 500 when it came to parse it; and so is a date outside the
 * forecast window (app/forecasting/forecast-window.ts), which the reference forecast at any cost.
 */
import type { ZodError } from "zod";
import { type ForecastWindow, OutOfWindowError, outsideWindow } from "../../forecasting/forecast-window.js";
import { hasNul, MAX_INT32 } from "../../rossmann.js";
import { type SeedForecastItem, seedForecastBody } from "./contract.server.js";
import {
  parseSeedDate,
  SEED_MAX_DAYS,
  type SeedIssue,
  type SeedRange,
  SeedValidationError,
  seedIssue,
  seedRange,
  seedRangeDays,
} from "./seed.server.js";

/** One validated item: the echo the answer repeats, and what to forecast. */
export interface SeedForecastJob {
  request: { store_id: string; product_name: string; begin_date: string | null; end_date: string | null };
  /** The store number, or null when store_id names no possible store ("abc", "007", "0"). */
  store: number | null;
  range: SeedRange;
}

/** Python's `str()` of a JSON scalar, as pydantic v1 coerced it. */
function pyStr(v: string | number | boolean): string {
  if (typeof v === "boolean") return v ? "True" : "False";
  return String(v);
}

/** A store id as the reference's model names have it: canonical digits of a positive 32-bit integer. */
function storeNumber(storeId: string): number | null {
  if (!/^[1-9]\d{0,9}$/.test(storeId)) return null;
  const n = Number(storeId);
  return n <= MAX_INT32 ? n : null;
}

export const NUL_MESSAGE = "must not contain a NUL character";

const FIELDS = ["store_id", "product_name", "begin_date", "end_date"] as const;

/** zod's issues as pydantic's: what the raw value at the issue's path was decides the kind. */
function issuesOf(err: ZodError, body: unknown): SeedIssue[] {
  const out: SeedIssue[] = [];
  const seen = new Set<string>();
  for (const issue of err.issues) {
    const [index, field] = issue.path as [number | undefined, string | undefined];
    let found: SeedIssue;
    if (index === undefined) {
      found = body === undefined ? seedIssue.missing(["body"]) : seedIssue.list(["body"]);
    } else if (field === undefined || !FIELDS.includes(field as (typeof FIELDS)[number])) {
      found = seedIssue.dict(["body", index]);
    } else {
      const raw = ((body as unknown[])[index] as Record<string, unknown>)[field];
      const loc = ["body", index, field];
      found = raw === undefined ? seedIssue.missing(loc) : raw === null ? seedIssue.none(loc) : seedIssue.str(loc);
    }
    const key = JSON.stringify(found.loc);
    if (!seen.has(key)) out.push(found);
    seen.add(key);
  }
  return out;
}

/** The issue of a range reaching outside the forecast window, naming the date at fault and the window. */
function windowIssue(range: SeedRange, index: number, window: ForecastWindow): SeedIssue | null {
  const { fromDay, days } = seedRangeDays(range);
  const side = outsideWindow(window, fromDay, days);
  if (!side) return null;
  const field = side === "begin" ? "begin_date" : "end_date";
  const error = new OutOfWindowError(field, side === "begin" ? fromDay : fromDay + days - 1, window);
  const { first, last } = error.details().window as { first: string; last: string };
  return { ...seedIssue.value(["body", index, field], error.message), ctx: { window_first: first, window_last: last } };
}

/** The range of one item, or its date issues. */
function rangeOf(
  item: SeedForecastItem,
  index: number,
  issues: SeedIssue[],
  today?: number,
  window?: ForecastWindow | null,
): SeedRange {
  const seconds = (field: "begin_date" | "end_date"): number | null => {
    const value = item[field];
    if (value === null || value === undefined) return null;
    const parsed = parseSeedDate(String(value));
    if (typeof parsed === "string") {
      issues.push(seedIssue.value(["body", index, field], parsed));
      return null;
    }
    return parsed;
  };
  const before = issues.length;
  const range = seedRange(seconds("begin_date"), seconds("end_date"), today);
  const datesValid = issues.length === before;
  if (range.count > SEED_MAX_DAYS) {
    issues.push(
      seedIssue.value(
        ["body", index, "end_date"],
        `a forecast covers at most ${SEED_MAX_DAYS} days from begin_date, asked for ${range.count}`,
      ),
    );
  } else if (window && datesValid) {
    const outside = windowIssue(range, index, window);
    if (outside) issues.push(outside);
  }
  return range;
}

/**
 * Validates a parsed JSON body (`undefined` when there was none) as the reference did, and each
 * item's days against the forecast `window` (none: not checked); throws SeedValidationError with
 * every issue. `today` (a day number) is for tests.
 */
export function parseSeedForecastBody(
  body: unknown,
  today?: number,
  window?: ForecastWindow | null,
): SeedForecastJob[] {
  const parsed = seedForecastBody.safeParse(body);
  if (!parsed.success) throw new SeedValidationError(issuesOf(parsed.error, body));
  const issues: SeedIssue[] = [];
  const jobs = parsed.data.map((item, i): SeedForecastJob => {
    const date = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));
    const storeId = pyStr(item.store_id);
    const productName = pyStr(item.product_name);
    // Stricter than the reference: no series can have such a name, and Postgres refuses it as a parameter.
    if (hasNul(productName)) issues.push(seedIssue.value(["body", i, "product_name"], NUL_MESSAGE));
    return {
      request: {
        store_id: storeId,
        product_name: productName,
        begin_date: date(item.begin_date),
        end_date: date(item.end_date),
      },
      store: storeNumber(storeId),
      range: rangeOf(item, i, issues, today, window),
    };
  });
  if (issues.length > 0) throw new SeedValidationError(issues);
  return jobs;
}
