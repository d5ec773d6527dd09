import { describe, expect, it } from "vitest";
import { assessDrift, DEFAULT_DRIFT, type DriftInput, describeReason } from "../../../app/monitoring/drift-rules.js";

const calm: DriftInput = {
  cvRmspe: 0.1,
  recent: { rmspe: 0.12, days: 12 },
  weeks: [
    { week: "2026-11-16", bias: 0.02, days: 6 },
    { week: "2026-11-23", bias: -0.03, days: 6 },
  ],
  levelShift: null,
  trainEnd: "2026-11-15",
};

describe("drift rules", () => {
  it("a series forecasting about as well as cross-validation promised is not degraded", () => {
    expect(assessDrift(calm)).toEqual([]);
  });

  it("realized error well above the CV error is degraded, with the numbers", () => {
    const reasons = assessDrift({ ...calm, recent: { rmspe: 0.4, days: 6 } });
    expect(reasons).toEqual([{ kind: "error", realized: 0.4, promised: 0.1, ratio: 4, days: 6 }]);
    expect(describeReason(reasons[0]!)).toBe(
      "realized error 40% over 6 open days is 4.0x the 10% cross-validation promised",
    );
    // Twice the promise over a week is within what a week's noise does (bench:monitoring, ADR 29) ...
    expect(assessDrift({ ...calm, recent: { rmspe: 0.2, days: 6 } })).toEqual([]);
    // ... but more than 20 points above it is material whatever the ratio (a 30% fall at a 15% CV).
    expect(assessDrift({ ...calm, cvRmspe: 0.15, recent: { rmspe: 0.43, days: 6 } })).toMatchObject([
      { kind: "error", realized: 0.43, promised: 0.15 },
    ]);
    expect(assessDrift({ ...calm, cvRmspe: 0.15, recent: { rmspe: 0.34, days: 6 } })).toEqual([]);
  });

  it("needs enough days, a CV error, and a real gap (2% -> 4% is not broken)", () => {
    expect(assessDrift({ ...calm, recent: { rmspe: 0.5, days: DEFAULT_DRIFT.minDays - 1 } })).toEqual([]);
    expect(assessDrift({ ...calm, cvRmspe: null, recent: { rmspe: 0.5, days: 12 } })).toEqual([]);
    expect(assessDrift({ ...calm, cvRmspe: 0, recent: { rmspe: 0.5, days: 12 } })).toEqual([]);
    expect(assessDrift({ ...calm, cvRmspe: 0.02, recent: { rmspe: 0.04, days: 12 } })).toEqual([]);
    expect(assessDrift({ ...calm, recent: { rmspe: null, days: 12 } })).toEqual([]);
  });

  it("a bias of the same sign in the newest weeks is persistent; one week or a sign change is not", () => {
    const weeks = (...bs: number[]) =>
      bs.map((bias, i) => ({ week: `2026-11-${String(2 + 7 * i).padStart(2, "0")}`, bias, days: 6 }));
    expect(assessDrift({ ...calm, weeks: weeks(0.01, 0.25, 0.35) })).toEqual([
      { kind: "bias", bias: 0.3, weeks: 2, since: "2026-11-09" },
    ]);
    expect(assessDrift({ ...calm, weeks: weeks(0.25, 0.01, 0.3) })).toEqual([]);
    expect(assessDrift({ ...calm, weeks: weeks(-0.25, 0.3) })).toEqual([]);
    const under = assessDrift({ ...calm, weeks: weeks(-0.25, -0.35, -0.3) });
    expect(under).toMatchObject([{ kind: "bias", weeks: 3, since: "2026-11-02" }]);
    expect(describeReason(under[0]!)).toBe("under-forecast by 30% on average for 3 weeks since 2026-11-02");
    // The newest week, only just begun (one day scored), is left out: the run before it still counts ...
    expect(assessDrift({ ...calm, weeks: [...weeks(0.25, 0.3), { week: "2026-11-16", bias: -0.4, days: 1 }] })).toEqual(
      [{ kind: "bias", bias: 0.275, weeks: 2, since: "2026-11-02" }],
    );
    // ... but an older week with too few days scored ends the run.
    const sparse = [
      ...weeks(0.25),
      { week: "2026-11-09", bias: 0.3, days: 1 },
      { week: "2026-11-16", bias: 0.3, days: 6 },
    ];
    expect(assessDrift({ ...calm, weeks: sparse })).toEqual([]);
  });

  it("a level shift is a reason of its own, and reasons add up", () => {
    const reasons = assessDrift({
      ...calm,
      recent: { rmspe: 0.35, days: 10 },
      levelShift: { day: "2026-11-20", change: -0.3, bias: 0.4, days: 5 },
    });
    expect(reasons.map((r) => r.kind)).toEqual(["error", "level-shift"]);
    expect(describeReason(reasons[1]!)).toBe("sales level fell 30% from 2026-11-20");
  });

  it("a level shift counts only after the training data, once the forecasts since miss it the same way", () => {
    const shift = { day: "2026-11-20", change: -0.3, bias: 0.4, days: DEFAULT_DRIFT.shiftDays };
    expect(assessDrift({ ...calm, levelShift: shift }).map((r) => r.kind)).toEqual(["level-shift"]);
    // The model was trained on it: it has seen the new level.
    expect(assessDrift({ ...calm, trainEnd: "2026-11-25", levelShift: shift })).toEqual([]);
    // Too few days scored since, none at all, or forecasts that follow the level (a promo run the model knows).
    expect(assessDrift({ ...calm, levelShift: { ...shift, days: DEFAULT_DRIFT.shiftDays - 1 } })).toEqual([]);
    expect(assessDrift({ ...calm, levelShift: { ...shift, bias: null, days: 0 } })).toEqual([]);
    expect(assessDrift({ ...calm, levelShift: { ...shift, bias: 0.03 } })).toEqual([]);
    // Sales fell but the forecasts were below them: not this shift's doing.
    expect(assessDrift({ ...calm, levelShift: { ...shift, bias: -0.2 } })).toEqual([]);
    // A rise the forecasts under-shoot.
    const rise = { day: "2026-11-20", change: 0.4, bias: -0.25, days: 4 };
    expect(assessDrift({ ...calm, levelShift: rise }).map((r) => r.kind)).toEqual(["level-shift"]);
    // No training end known (a version registered without one): the shift is judged on its errors.
    expect(assessDrift({ ...calm, trainEnd: null, levelShift: shift }).map((r) => r.kind)).toEqual(["level-shift"]);
  });

  it("promotions that stopped lifting sales: only the promo days over-forecast, the others on target", () => {
    const promo = { bias: 0.25, days: 5, otherBias: 0.02 };
    const reasons = assessDrift({ ...calm, promo });
    expect(reasons).toEqual([{ kind: "promo", bias: 0.25, days: 5 }]);
    expect(describeReason(reasons[0]!)).toBe(
      "promo days over-forecast by 25% over the last 5, the other days on target: promotions no longer lift sales as the model expects",
    );
    // Too few promo days, a promo error within noise, or every day off (a level change, not the promos).
    expect(assessDrift({ ...calm, promo: { ...promo, days: DEFAULT_DRIFT.promoDays - 1 } })).toEqual([]);
    expect(assessDrift({ ...calm, promo: { ...promo, bias: 0.18 } })).toEqual([]);
    expect(assessDrift({ ...calm, promo: { ...promo, otherBias: 0.3 } })).toEqual([]);
    expect(assessDrift({ ...calm, promo: { ...promo, bias: null, days: 0 } })).toEqual([]);
    // Promotions lifting more than the model learned.
    expect(assessDrift({ ...calm, promo: { ...promo, bias: -0.22 } }).map((r) => r.kind)).toEqual(["promo"]);
  });
});
