/** Days for the model's tests: a fixed Friday to count from, and a planned day with defaults. */
import { formatDay, parseDay } from "../../app/days.js";
import type { PlanDay } from "../../app/model/config.js";

export const END = "2015-07-31"; // a Friday

export const addDays = (date: string, n: number): string => formatDay(parseDay(date)! + n);

/** An open day with no promo or holiday, unless `p` says otherwise. */
export const plan = (date: string, p: Partial<PlanDay> = {}): PlanDay => ({
  date,
  open: 1,
  promo: 0,
  stateholiday: "0",
  schoolholiday: 0,
  ...p,
});
