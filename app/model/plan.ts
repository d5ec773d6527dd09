/**
 * Planning the days to forecast: the store's usual open days per weekday in the training window, and
 * the plan for given dates from calendar rows or, where there are none, that weekday pattern. Pure, so
 * a plan can be made on the main thread before (or without) training.
 */
import { isoWeekday } from "../days.js";
import type { HistoryDay, ModelConfig, PlanDay } from "./config.js";
import { dayOf, type Window, windowOf } from "./training-series.js";

/** Share of open days per ISO weekday (Mon..Sun) over a window's calendar days. */
export function sharesOf(w: Window): number[] {
  const open = new Array<number>(7).fill(0);
  const calendar = new Array<number>(7).fill(0);
  for (const { day, h } of w.rows) if (h.open === 1) open[isoWeekday(day) - 1]!++;
  // Shares over calendar days: a weekday missing from the history counts as closed.
  for (let d = w.start; d <= w.end; d++) calendar[isoWeekday(d) - 1]!++;
  return open.map((n, i) => (calendar[i]! > 0 ? n / calendar[i]! : 0));
}

/**
 * Share of open days per ISO weekday (Mon..Sun) in the training window `trainModel` would use;
 * seven zeros for an empty history. The same numbers end up in StoredModel.weekdayOpen, so a plan
 * for `future` can be made before training.
 */
export function weekdayOpenShares(history: readonly HistoryDay[], config: Pick<ModelConfig, "trainDays">): number[] {
  const w = windowOf(history, config.trainDays);
  return w ? sharesOf(w) : new Array<number>(7).fill(0);
}

/**
 * The plan for `dates`: calendar rows where present; otherwise the store's usual weekday pattern
 * (open when weekdayOpen[dow] >= 0.5), no promo, no holidays.
 */
export function planDays(
  dates: string[],
  calendar: ReadonlyMap<string, PlanDay>,
  weekdayOpen: readonly number[],
): PlanDay[] {
  return dates.map((date) => {
    const planned = calendar.get(date);
    if (planned) return { ...planned, date };
    const usual = weekdayOpen[isoWeekday(dayOf(date)) - 1] ?? 0;
    return { date, open: usual >= 0.5 ? 1 : 0, promo: 0, stateholiday: "0", schoolholiday: 0 };
  });
}
