import { describe, expect, it } from "vitest";
import { judgeRetrain, type PolicyState, planRetrains } from "../../../app/monitoring/retrain-policy.js";

const c = (series: string, severity: number) => ({ series, severity });
const idle: PolicyState = { fleet: 100, active: 0, lastHour: 0, busy: new Set() };
const on = { mode: "on" as const, perHour: 50, maxShare: 0.1, afterDays: 1 };

describe("the automatic retraining policy", () => {
  it("queues the worst first, once per series", () => {
    const plan = planRetrains([c("1:a", 1.6), c("2:a", 3), c("1:a", 2), c("3:a", 1)], idle, on);
    expect(plan.queue.map((q) => q.series)).toEqual(["2:a", "1:a", "3:a"]);
    expect(plan.skipped).toEqual([]);
  });

  it("never retrains more than its share of the fleet at once, counting those already running", () => {
    const many = Array.from({ length: 30 }, (_, i) => c(`${i + 1}:a`, 30 - i));
    expect(planRetrains(many, idle, on).queue).toHaveLength(10);
    const plan = planRetrains(many, { ...idle, active: 7 }, on);
    expect(plan.queue.map((q) => q.series)).toEqual(["1:a", "2:a", "3:a"]);
    expect(plan.skipped.filter((s) => s.why === "fleet-share")).toHaveLength(27);
    expect(planRetrains(many, { ...idle, active: 12 }, on).queue).toEqual([]);
  });

  it("keeps to the hourly limit", () => {
    const many = Array.from({ length: 30 }, (_, i) => c(`${i + 1}:a`, 1));
    const plan = planRetrains(many, { ...idle, fleet: 1000, lastHour: 48 }, on);
    expect(plan.queue).toHaveLength(2);
    expect(plan.skipped.every((s) => s.why === "hourly-limit")).toBe(true);
  });

  it("leaves a series with a retrain queued or running (or awaiting its verdict) alone", () => {
    const plan = planRetrains([c("1:a", 2), c("2:a", 2)], { ...idle, busy: new Set(["1:a"]) }, on);
    expect(plan.queue.map((q) => q.series)).toEqual(["2:a"]);
    expect(plan.skipped).toEqual([{ candidate: c("1:a", 2), why: "busy" }]);
  });

  it("waits until a series has been degraded for afterDays nights in a row", () => {
    const c3 = { series: "1:a", severity: 3, degradedDays: 3 };
    const c5 = { series: "2:a", severity: 2, degradedDays: 5 };
    const plan = planRetrains([c3, c5], idle, { ...on, afterDays: 5 });
    expect(plan.queue).toEqual([c5]);
    expect(plan.skipped).toEqual([{ candidate: c3, why: "waiting" }]);
  });

  it("does not retrain again a series whose production version an automatic retrain that did not help left", () => {
    const plan = planRetrains([c("1:a", 3), c("2:a", 2)], { ...idle, unhelped: new Set(["1:a"]) }, on);
    expect(plan.queue.map((q) => q.series)).toEqual(["2:a"]);
    expect(plan.skipped).toEqual([{ candidate: c("1:a", 3), why: "did-not-help" }]);
  });

  it("only suggests in suggest mode and does nothing when off", () => {
    const suggest = planRetrains([c("1:a", 2)], idle, { ...on, mode: "suggest" });
    expect(suggest).toEqual({ queue: [], skipped: [{ candidate: c("1:a", 2), why: "suggested" }] });
    expect(planRetrains([c("1:a", 2)], idle, { ...on, mode: "off" }).skipped[0]?.why).toBe("off");
  });
});

describe("did the retrain help", () => {
  it("waits for a full week of the new version", () => {
    expect(judgeRetrain({ rmspe: 0.3, days: 6 }, { rmspe: 0.1, days: 4 })).toBe("pending");
    expect(judgeRetrain({ rmspe: 0.3, days: 6 }, { rmspe: null, days: 0 })).toBe("pending");
  });

  it("compares realized errors with a tolerance", () => {
    expect(judgeRetrain({ rmspe: 0.3, days: 6 }, { rmspe: 0.15, days: 6 })).toBe("helped");
    expect(judgeRetrain({ rmspe: 0.2, days: 6 }, { rmspe: 0.205, days: 6 })).toBe("same");
    expect(judgeRetrain({ rmspe: 0.2, days: 6 }, { rmspe: 0.25, days: 6 })).toBe("worse");
    expect(judgeRetrain({ rmspe: null, days: 0 }, { rmspe: 0.25, days: 6 })).toBe("same");
  });
});
