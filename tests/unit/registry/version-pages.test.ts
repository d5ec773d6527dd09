/**
 * The pure parts of the version page and the compare view: reading a stored model's fitted
 * parameters and CV folds defensively, and two versions' metrics with their differences.
 */
import { describe, expect, it } from "vitest";
import {
  configSettings,
  fittedParameters,
  storedFolds,
  summariseArray,
} from "../../../app/registry/fitted-parameters.js";
import { compareMetrics } from "../../../app/registry/version-comparison.js";

const stored = {
  config: { kind: "default", yearly: false, regressors: ["promo"], intervalWidth: 0.95 },
  params: {
    k: 0.12,
    m: 0.5,
    sigmaObs: 0.03,
    delta: [0.1, -0.2, 0.4],
    beta: [0.5, -0.25],
    trend: [1, 2, 3, 4],
    features: ["weekly:sin1", "promo"],
  },
  weekdayOpen: [1, 1, 1, 1, 1, 1, 0],
};

describe("fitted parameters", () => {
  it("names each coefficient by the feature it multiplies and summarises the arrays", () => {
    const f = fittedParameters(stored)!;
    expect(f.scalars.map((s) => [s.name, s.value])).toEqual([
      ["k", 0.12],
      ["m", 0.5],
      ["sigmaObs", 0.03],
    ]);
    // A version trained with CV also shows its band's noise (ADR 39).
    const calibrated = fittedParameters({ ...stored, intervalNoise: 412.5 })!;
    expect(calibrated.scalars.at(-1)).toMatchObject({ name: "intervalNoise", value: 412.5 });
    expect(f.coefficients).toEqual([
      { feature: "weekly:sin1", value: 0.5 },
      { feature: "promo", value: -0.25 },
    ]);
    const delta = f.arrays.find((a) => a.name === "delta")!;
    expect({ count: delta.count, min: delta.min, max: delta.max }).toEqual({ count: 3, min: -0.2, max: 0.4 });
    expect(delta.mean).toBeCloseTo(0.1, 12);
    expect(delta.values).toEqual([0.1, -0.2, 0.4]);
    expect(f.arrays.find((a) => a.name === "trend")?.count).toBe(4);
    expect(f.weekdayOpen).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(f.resolved).toEqual([
      { name: "kind", value: "default" },
      { name: "yearly", value: "no" },
      { name: "regressors", value: "promo" },
      { name: "intervalWidth", value: "0.95" },
    ]);
  });

  it("falls back to positions when features were not stored, and tolerates no trend or weekday shares", () => {
    const { features: _f, trend: _t, ...params } = stored.params;
    const f = fittedParameters({ params })!;
    expect(f.coefficients.map((c) => c.feature)).toEqual(["beta[0]", "beta[1]"]);
    expect(f.arrays.map((a) => a.name)).toEqual(["delta"]);
    expect(f.weekdayOpen).toBeNull();
    expect(f.resolved).toEqual([]);
  });

  it("is null for anything that is not a stored Prophet model", () => {
    for (const bad of [
      null,
      3,
      "x",
      {},
      { params: { k: "0.1" } },
      { params: { ...stored.params, beta: [Number.NaN] } },
    ]) {
      expect(fittedParameters(bad)).toBeNull();
    }
  });

  it("summarises an empty array without inventing figures", () => {
    expect(summariseArray("delta", "", [])).toEqual({
      name: "delta",
      note: "",
      count: 0,
      min: null,
      max: null,
      mean: null,
      values: [],
    });
  });

  it("prints configuration values as text, and none for a non-object", () => {
    expect(configSettings({ a: [], b: true, c: null, d: { e: 1 } })).toEqual([
      { name: "a", value: "none" },
      { name: "b", value: "yes" },
      { name: "c", value: "–" },
      { name: "d", value: '{"e":1}' },
    ]);
    expect(configSettings([1, 2])).toEqual([]);
    expect(configSettings("x")).toEqual([]);
  });

  it("keeps the folds of the stored shape and skips the others", () => {
    const good = {
      fold: 1,
      trainStart: "2026-01-01",
      trainEnd: "2026-02-01",
      testStart: "2026-02-02",
      testEnd: "2026-02-08",
      testDays: 6,
      rmse: 10,
      mape: 0.1,
      mae: 8,
      mdae: 7,
      rmspe: 0.12,
    };
    expect(storedFolds({ folds: [good, { fold: 2 }, null, "x"] })).toEqual([good]);
    expect(storedFolds(null)).toEqual([]);
    expect(storedFolds({ folds: "nope" as unknown as unknown[] })).toEqual([]);
  });
});

describe("metric comparison", () => {
  const metrics = (rmspe: number | null, mape: number | null) => ({
    cvRmspe: rmspe,
    cvMape: mape,
    cvRmse: 100,
    cvMae: 80,
    cvMdae: null,
  });

  it("gives B - A and the version with the lower error", () => {
    const rows = compareMetrics(metrics(0.2, 0.1), metrics(0.15, 0.12));
    const rmspe = rows.find((r) => r.key === "cvRmspe")!;
    expect(rmspe.difference).toBeCloseTo(-0.05, 12);
    expect(rmspe.better).toBe("b");
    expect(rows.find((r) => r.key === "cvMape")!.better).toBe("a");
    // Equal: no winner.
    expect(rows.find((r) => r.key === "cvRmse")).toMatchObject({ difference: 0, better: null });
  });

  it("has no difference where either value is missing", () => {
    const rows = compareMetrics(metrics(null, 0.1), metrics(0.15, Number.NaN));
    expect(rows.find((r) => r.key === "cvRmspe")).toMatchObject({ a: null, b: 0.15, difference: null, better: null });
    expect(rows.find((r) => r.key === "cvMape")).toMatchObject({ a: 0.1, b: null, difference: null, better: null });
    expect(rows.find((r) => r.key === "cvMdae")).toMatchObject({ a: null, b: null, difference: null });
  });

  it("compares a version with itself as all zeros", () => {
    const rows = compareMetrics(metrics(0.2, 0.1), metrics(0.2, 0.1));
    expect(rows.filter((r) => r.difference !== null).every((r) => r.difference === 0 && r.better === null)).toBe(true);
  });
});
