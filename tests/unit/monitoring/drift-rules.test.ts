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
};

describe("drift rules", () => {
  it("a series forecasting about as well as cross-validation promised is not degraded", () => {
    expect(assessDrift(calm)).toEqual([]);
  });

  it("realized error well above the CV error is degraded, with the numbers", () => {
    const reasons = assessDrift({ ...calm, recent: { rmspe: 0.2, days: 12 } });
    expect(reasons).toEqual([{ kind: "error", realized: 0.2, promised: 0.1, ratio: 2, days: 12 }]);
    expect(describeReason(reasons[0]!)).toBe(
      "realized error 20% over 12 open days is 2.0x the 10% cross-validation promised",
    );
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
    expect(assessDrift({ ...calm, weeks: weeks(0.01, 0.2, 0.3) })).toEqual([
      { kind: "bias", bias: 0.25, weeks: 2, since: "2026-11-09" },
    ]);
    expect(assessDrift({ ...calm, weeks: weeks(0.2, 0.01, 0.3) })).toEqual([]);
    expect(assessDrift({ ...calm, weeks: weeks(-0.2, 0.3) })).toEqual([]);
    const under = assessDrift({ ...calm, weeks: weeks(-0.15, -0.25, -0.2) });
    expect(under).toMatchObject([{ kind: "bias", weeks: 3, since: "2026-11-02" }]);
    expect(describeReason(under[0]!)).toBe("under-forecast by 20% on average for 3 weeks since 2026-11-02");
    // A week with too few days scored ends the run.
    expect(assessDrift({ ...calm, weeks: [...weeks(0.2, 0.3), { week: "2026-11-16", bias: 0.4, days: 1 }] })).toEqual(
      [],
    );
  });

  it("a level shift is a reason of its own, and reasons add up", () => {
    const reasons = assessDrift({
      ...calm,
      recent: { rmspe: 0.3, days: 10 },
      levelShift: { day: "2026-11-20", change: -0.3 },
    });
    expect(reasons.map((r) => r.kind)).toEqual(["error", "level-shift"]);
    expect(describeReason(reasons[1]!)).toBe("sales level fell 30% from 2026-11-20");
  });
});
