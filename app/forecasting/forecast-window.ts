/**
 * The forecast window: the days a forecast may ask for, from the first sales day to
 * FORECAST_HORIZON_DAYS (default 730, two years) after the newest. Far beyond the history a
 * forecast says nothing and costs a lot (Prophet samples the trend's changes over the whole gap:
 * year 9999 held a thread for minutes), so a date outside is refused at once, naming the field and
 * the window. Pure: the routes read the sales days through forecast-window.server.ts.
 */
import { formatDay } from "../days.js";
import { ValidationError } from "../errors.js";

export interface ForecastWindow {
  /** The first and newest sales days, and the last day a forecast may reach (day numbers). */
  first: number;
  newest: number;
  last: number;
  horizonDays: number;
}

export function forecastWindowOf(first: number, newest: number, horizonDays: number): ForecastWindow {
  return { first, newest, last: newest + horizonDays, horizonDays };
}

/** "2026-07-10 to 2028-12-06 (the first sales day to 730 days after the newest, 2026-12-06)". */
export function describeWindow(w: ForecastWindow): string {
  return (
    `${formatDay(w.first)} to ${formatDay(w.last)} (the first sales day to ${w.horizonDays} days after ` +
    `the newest, ${formatDay(w.newest)})`
  );
}

/** A forecast date outside the window (HTTP 400): details name the field and the window. */
export class OutOfWindowError extends ValidationError {
  override name = "OutOfWindowError";
  constructor(
    field: string,
    readonly day: number,
    readonly window: ForecastWindow,
  ) {
    super(field, `${field} ${formatDay(day)} is outside the forecast window: ${describeWindow(window)}`);
  }
  override details(): Record<string, unknown> {
    return {
      field: this.field,
      window: { first: formatDay(this.window.first), last: formatDay(this.window.last) },
      horizonDays: this.window.horizonDays,
    };
  }
  /** The same error under another name for the field (e.g. `end_date` -> `end`). */
  renamed(field: string): OutOfWindowError {
    return new OutOfWindowError(field, this.day, this.window);
  }
}

/**
 * Which end of a range lies outside the window, or null. `days` 0 (the reference's end before
 * begin) asks nothing past begin, so only begin is checked.
 */
export function outsideWindow(w: ForecastWindow, fromDay: number, days: number): "begin" | "end" | null {
  if (fromDay < w.first || fromDay > w.last) return "begin";
  if (days > 0 && fromDay + days - 1 > w.last) return "end";
  return null;
}

/**
 * Throws OutOfWindowError, naming `fields.begin` or `fields.end`, when the range leaves the
 * window. No window (no sales yet, so no model): nothing to check.
 */
export function assertInWindow(
  w: ForecastWindow | null,
  fromDay: number,
  days: number,
  fields: { begin: string; end: string } = { begin: "begin_date", end: "end_date" },
): void {
  if (!w) return;
  const side = outsideWindow(w, fromDay, days);
  if (side === "begin") throw new OutOfWindowError(fields.begin, fromDay, w);
  if (side === "end") throw new OutOfWindowError(fields.end, fromDay + days - 1, w);
}
