import { describe, expect, it } from "vitest";
import { planDays } from "../../../app/model/plan.js";
import { addDays, END, plan } from "../../support/model-days.js";

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
