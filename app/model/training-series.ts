/**
 * The training data as the model reads it: the training window of a history (its newest trainDays
 * calendar days) and the Series of open days fitted from it, with one column per regressor. Pure
 * (no I/O, no WASM); prophet.server.ts fits Series, plan.ts reads the window's weekday pattern.
 */
import { parseDay } from "../days.js";
import { type HistoryDay, type PlanDay, REGRESSORS, type RegressorName } from "./config.js";

/** A day's value in each regressor column: 1 when the covariate is on. */
export const REGRESSOR_VALUE: Record<RegressorName, (d: PlanDay) => number> = {
  promo: (d) => (d.promo === 1 ? 1 : 0),
  schoolholiday: (d) => (d.schoolholiday === 1 ? 1 : 0),
  stateholiday: (d) => (d.stateholiday === "0" ? 0 : 1),
};

/** A history or plan date as a day number; throws on an invalid date. */
export function dayOf(date: string): number {
  const day = parseDay(date);
  if (day === undefined) throw new RangeError(`invalid date: ${JSON.stringify(date)}`);
  return day;
}

/**
 * The days a forecast predicts: the open ones (a closed day is exactly 0), oldest first, each with
 * its index in `days` (where its answer goes) and its day number.
 */
export function openDaysOf<D extends { date: string; open: number }>(
  days: readonly D[],
): { d: D; i: number; day: number }[] {
  return days
    .map((d, i) => ({ d, i, day: dayOf(d.date) }))
    .filter((o) => o.d.open === 1)
    .sort((a, b) => a.day - b.day);
}

/** Fitted open days, oldest first. */
export interface Series {
  days: number[];
  y: number[];
  x: Record<RegressorName, number[]>;
}

export function subSeries(s: Series, from: number, to: number): Series {
  const keep: number[] = [];
  s.days.forEach((d, i) => {
    if (d >= from && d <= to) keep.push(i);
  });
  const pick = (xs: number[]) => keep.map((i) => xs[i]!);
  return {
    days: pick(s.days),
    y: pick(s.y),
    x: { promo: pick(s.x.promo), schoolholiday: pick(s.x.schoolholiday), stateholiday: pick(s.x.stateholiday) },
  };
}

/**
 * A regressor constant over the training rows carries no information: its coefficient would be set by
 * the prior alone (a constant 1 is confounded with the trend offset), and Python Prophet would even
 * standardise it by 0. Rossmann stores are closed on most state holidays, so that column usually is.
 */
export function varyingRegressors(s: Series, wanted: readonly RegressorName[]): RegressorName[] {
  return wanted.filter((r) => {
    const xs = s.x[r];
    return xs.some((v) => v !== xs[0]);
  });
}

/** The training window of a history: its newest `trainDays` calendar days, rows oldest first. */
export interface Window {
  start: number;
  end: number;
  rows: { day: number; h: HistoryDay }[];
}

/** Undefined for an empty history. A date that appears twice keeps its last row. */
export function windowOf(history: readonly HistoryDay[], trainDays: number): Window | undefined {
  const byDay = new Map<number, HistoryDay>();
  for (const h of history) byDay.set(dayOf(h.date), h);
  if (byDay.size === 0) return undefined;
  const days = [...byDay.keys()].sort((a, b) => a - b);
  const end = days[days.length - 1]!;
  // Clipped to the oldest history day, so a short history does not count missing days as closed.
  const start = Math.max(end - trainDays + 1, days[0]!);
  return { start, end, rows: days.filter((d) => d >= start).map((day) => ({ day, h: byDay.get(day)! })) };
}

/** The window's open days with usable sales, and how many open days were dropped for NaN / negative / non-finite sales. */
export function fittedSeries(w: Window): { series: Series; excluded: number } {
  const series: Series = { days: [], y: [], x: { promo: [], schoolholiday: [], stateholiday: [] } };
  let excluded = 0;
  for (const { day, h } of w.rows) {
    // Closed days are neither fitted nor counted as excluded: their 0 sales are not a data problem.
    if (h.open !== 1) continue;
    if (!Number.isFinite(h.sales) || h.sales < 0) {
      excluded++;
      continue;
    }
    series.days.push(day);
    series.y.push(h.sales);
    for (const r of REGRESSORS) series.x[r].push(REGRESSOR_VALUE[r](h));
  }
  return { series, excluded };
}
