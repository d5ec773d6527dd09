/**
 * Calendar days as integers (days since 1970-01-01, UTC). The generator and the loader handle
 * millions of rows; integer days keep that fast and free of time-zone surprises. date-fns does
 * the month arithmetic where months matter.
 */

export const DAY_MS = 86_400_000;
export const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A strict YYYY-MM-DD date as a day number, or undefined (2015-02-30 is a typo, not March 2nd). */
export function parseDay(date: string): number | undefined {
  const m = DATE_RE.exec(date);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const back = new Date(Date.UTC(y, mo - 1, d));
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return back.getTime() / DAY_MS;
}

/** The day number of a calendar date (month 1-12). */
export function dayOf(year: number, month: number, day: number): number {
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** ISO weekday (Monday 1 ... Sunday 7), Kaggle's DayOfWeek. 1970-01-01 was a Thursday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

export function todayDay(now = Date.now()): number {
  return Math.floor(now / DAY_MS);
}
