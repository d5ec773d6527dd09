/** The components' sentences (app/forecasting/component-sentences.ts) from hand-made decompositions. */
import { describe, expect, it } from "vitest";
import { componentSentences } from "../../../app/forecasting/component-sentences.js";
import type { DayComponents, Decomposition } from "../../../app/model/components.js";
import type { RegressorName } from "../../../app/model/config.js";

// 2026-03-02 is a Monday.
const DATES = ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"];

interface DaySpec {
  trend?: number;
  weekly?: number;
  yearly?: number | null;
  on?: Partial<Record<RegressorName, boolean>>;
  open?: boolean;
}

/** A week of days from specs; each regressor's effect is its lift on the days it is on. */
function week(
  specs: DaySpec[],
  opts: { lift?: Partial<Record<RegressorName, number>>; weekly?: boolean; yearly?: boolean } = {},
): Decomposition {
  const lift = opts.lift ?? {};
  const regressors = Object.keys(lift) as RegressorName[];
  const days: DayComponents[] = specs.map((s, i) => {
    const effects: Partial<Record<RegressorName, number>> = {};
    const on: Partial<Record<RegressorName, boolean>> = {};
    for (const r of regressors) {
      on[r] = s.on?.[r] ?? false;
      effects[r] = on[r] ? lift[r]! : 0;
    }
    const trend = s.trend ?? 1000;
    const weekly = s.weekly ?? 0;
    const yearly = opts.yearly ? (s.yearly ?? 0) : null;
    const yhat = trend + weekly + (yearly ?? 0) + Object.values(effects).reduce((a, b) => a + b, 0);
    const open = s.open ?? true;
    return {
      date: DATES[i]!,
      open,
      trend,
      weekly,
      yearly,
      regressors: effects,
      on,
      yhat,
      forecast: open ? Math.max(0, yhat) : 0,
    };
  });
  return { mode: "additive", weekly: opts.weekly ?? true, yearly: opts.yearly ?? false, regressors, lift, days };
}

const flat = (n = 7, more: DaySpec = {}): DaySpec[] => Array.from({ length: n }, () => ({ ...more }));
const texts = (d: Decomposition) => componentSentences(d).map((s) => s.text);
const of = (d: Decomposition, c: string) => componentSentences(d).find((s) => s.component === c)?.text;

describe("componentSentences", () => {
  it("says what a promo adds on promo days, as a share of those days' sales without it", () => {
    // Promo on Monday to Wednesday: 1000 a day without it, 240 with it: 24%.
    const specs = flat().map((s, i) => ({ ...s, on: { promo: i < 3 } }));
    expect(of(week(specs, { lift: { promo: 240 } }), "promo")).toBe(
      "Promo adds about 24% on promo days (3 days this week).",
    );
    expect(
      of(
        week(
          specs.map((s, i) => ({ ...s, on: { promo: i === 0 } })),
          { lift: { promo: 240 } },
        ),
        "promo",
      ),
    ).toBe("Promo adds about 24% on promo days (1 day this week).");
  });

  it("says what a regressor would do on a week it is off, and a negative effect as taking off", () => {
    expect(of(week(flat(), { lift: { promo: 150 } }), "promo")).toBe(
      "No promo this week; a promo day would add about 15%.",
    );
    const state = flat().map((s, i) => ({ ...s, on: { stateholiday: i === 2 } }));
    // 700 with the holiday, 1000 without: 30% off.
    expect(of(week(state, { lift: { stateholiday: -300 } }), "stateholiday")).toBe(
      "A state holiday takes about 30% off on a state holiday (1 day this week).",
    );
    expect(of(week(flat(), { lift: { schoolholiday: -50 } }), "schoolholiday")).toBe(
      "No school holiday this week; a school holiday day would take about 5% off.",
    );
  });

  it("says an effect under 1% makes little difference, and gives no sentence for a regressor the model lacks", () => {
    const d = week(
      flat().map((s) => ({ ...s, on: { schoolholiday: true } })),
      { lift: { schoolholiday: 3 } },
    );
    expect(of(d, "schoolholiday")).toBe("School holidays make little difference (under 1%).");
    expect(of(week(flat(), { lift: { promo: 0 } }), "promo")).toBe("Promo makes little difference (under 1%).");
    // A store that never had a state holiday in its history: the model has no such term, and no sentence.
    const none = week(flat(), { lift: { promo: 100 } });
    expect(componentSentences(none).map((s) => s.component)).toEqual(["trend", "weekly", "promo"]);
  });

  it("names the weekdays above and below the week's average from the weekly pattern over open days", () => {
    // Open Monday to Saturday, Sunday closed (its weekly term is ignored); average sales 1000.
    const weekly = [150, 20, 0, -20, 0, -150, -900];
    const specs = weekly.map((w, i) => ({ weekly: w, open: i < 6 }));
    expect(of(week(specs), "weekly")).toBe(
      "Mondays sell about 15% above the week's average, Saturdays about 15% below.",
    );
    expect(of(week(flat().map((s, i) => ({ ...s, weekly: i === 4 ? 120 : 0 }))), "weekly")).toBe(
      // The pattern's mean over the week is 120/7: Friday is ~10% above, the rest ~2% below.
      "Fridays sell about 10% above the week's average, Mondays about 2% below.",
    );
    expect(of(week(flat().map((s) => ({ ...s, weekly: 2 }))), "weekly")).toBe(
      "The day of the week makes little difference (under 1%).",
    );
    // No weekly seasonality in the model: no sentence.
    expect(of(week(flat(), { weekly: false }), "weekly")).toBeUndefined();
  });

  it("says which way the trend goes over the week, and flat when it moves less than 1%", () => {
    const down = flat().map((s, i) => ({ ...s, trend: 1000 - 5 * i }));
    expect(of(week(down), "trend")).toBe("The trend is down 3% over the week.");
    const up = flat().map((s, i) => ({ ...s, trend: 1000 + 20 * i }));
    expect(of(week(up), "trend")).toBe("The trend is up 12% over the week.");
    expect(of(week(flat()), "trend")).toBe("The trend is flat over the week.");
  });

  it("says what the time of year does when the model uses yearly seasonality, and nothing otherwise", () => {
    const specs = flat().map((s) => ({ ...s, yearly: 80 }));
    expect(of(week(specs, { yearly: true }), "yearly")).toBe("The time of year adds about 8% this week.");
    expect(
      of(
        week(
          flat().map((s) => ({ ...s, yearly: -50 })),
          { yearly: true },
        ),
        "yearly",
      ),
    ).toBe("The time of year takes about 5% off this week.");
    expect(of(week(flat()), "yearly")).toBeUndefined();
  });

  it("says nothing for a week the store is closed or a forecast of no sales", () => {
    expect(texts(week(flat(7, { open: false }), { lift: { promo: 100 } }))).toEqual([]);
    expect(texts(week(flat(7, { trend: -10 }), { lift: { promo: 5 } }))).toEqual([]);
  });
});
