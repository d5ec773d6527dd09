import { describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../../../app/days.js";
import type { PlanDay } from "../../../app/model/config.js";
import { planDays } from "../../../app/model/plan.js";

const END = "2015-07-31"; // a Friday
const addDays = (date: string, n: number) => formatDay(parseDay(date)! + n);

const plan = (date: string, p: Partial<PlanDay> = {}): PlanDay => ({
  date,
  open: 1,
  promo: 0,
  stateholiday: "0",
  schoolholiday: 0,
  ...p,
});

describe("plans", () => {
  it("planDays uses calendar rows where present, else the usual weekday pattern without promo or holidays", () => {
    const shares = [1, 1, 1, 1, 0.9, 1, 0.1];
    const saturday = addDays(END, 1);
    const sunday = addDays(END, 2);
    const monday = addDays(END, 3);
    const calendar = new Map([[monday, plan(monday, { promo: 1, schoolholiday: 1 })]]);
    expect(planDays([saturday, sunday, monday, addDays(END, 7)], calendar, shares)).toEqual([
      plan(saturday),
      plan(sunday, { open: 0 }),
      plan(monday, { promo: 1, schoolholiday: 1 }),
      plan(addDays(END, 7), { open: 1 }),
    ]);
  });
});
