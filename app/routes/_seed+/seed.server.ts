/**
 * The reference (seed) system's forecast request, as its clients send it: its date format and the
 * days a request covers (the request's schema is in contract.server.ts). Only the routes of
 * app/routes/_seed+ speak this format.
 */
import { DAY_MS, formatDay, parseDay, todayDay } from "../../days.js";
import { ValidationError } from "../../errors.js";
import { SEED_DATE_RE, type SeedForecastItem } from "./contract.server.js";

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
