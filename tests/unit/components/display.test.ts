import { describe, expect, it } from "vitest";
import {
  describeCounts,
  formatDateTime,
  formatDifference,
  formatDuration,
  formatInteger,
  formatMetric,
  runFailures,
} from "../../../app/components/display.js";

describe("display formats", () => {
  it("prints times in UTC, whatever the input form, and a dash for none", () => {
    expect(formatDateTime(new Date("2026-01-03T10:00:59.900Z"))).toBe("2026-01-03 10:00 UTC");
    expect(formatDateTime("2026-01-03T23:30:00+02:00")).toBe("2026-01-03 21:30 UTC");
    expect(formatDateTime(null)).toBe("–");
    expect(formatDateTime(undefined)).toBe("–");
    expect(formatDateTime("yesterday")).toBe("–");
  });

  it("prints durations in the unit that reads best", () => {
    expect(formatDuration(0)).toBe("0 ms");
    expect(formatDuration(849.6)).toBe("850 ms");
    expect(formatDuration(31_240)).toBe("31.2 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(7_380_000)).toBe("2 h 03 min");
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(-1)).toBe("–");
    expect(formatDuration(Number.NaN)).toBe("–");
  });

  it("prints metrics as ratios or whole sales", () => {
    expect(formatMetric(0.10749, "ratio")).toBe("0.107");
    expect(formatMetric(4321.6, "sales")).toBe("4,322");
    expect(formatMetric(null, "ratio")).toBe("–");
    expect(formatMetric(Number.POSITIVE_INFINITY, "sales")).toBe("–");
    expect(formatInteger(1115)).toBe("1,115");
  });

  it("describes a train-all run's counts, leaving out the id, status, duration and lists", () => {
    expect(
      describeCounts({
        runId: 7,
        status: "SUCCEEDED",
        series: 1115,
        trained: 1113,
        skipped: 1,
        failed: 1,
        forecastRows: 7805,
        failures: [{ store: 3, productname: "product_A", reason: "x" }],
        forecastFrom: "2026-01-01",
        durationMs: 31_000,
      }),
    ).toEqual(["series 1,115", "trained 1,113", "skipped 1", "failed 1", "forecast rows 7,805"]);
    expect(describeCounts({ trained: 0, note: "no sales history" })).toEqual(["trained 0", "no sales history"]);
    // jsonb hands keys back ordered by length: the reader's order is restored.
    expect(
      describeCounts({ failed: 0, series: 5, skipped: 0, trained: 5, excludedDays: 0, forecastRows: 35, lag: 3 }),
    ).toEqual(["series 5", "trained 5", "skipped 0", "failed 0", "forecast rows 35", "excluded days 0", "lag 3"]);
    expect(describeCounts(null)).toEqual([]);
    expect(describeCounts({ trained: Number.NaN, note: "", forecastFrom: "2026-01-01" })).toEqual([]);
  });

  it("lists a run's failures, tolerating odd entries", () => {
    expect(
      runFailures({
        failures: [
          { store: 3, productname: "product_A", reason: "insufficient history: 9 open days" },
          { store: 4 },
          "garbage",
          null,
        ],
      }),
    ).toEqual([
      { series: "store 3 product_A", reason: "insufficient history: 9 open days" },
      { series: "store 4", reason: "no reason recorded" },
    ]);
    expect(runFailures({ failures: "none" })).toEqual([]);
    expect(runFailures(null)).toEqual([]);
  });

  it("prints a metric difference with its sign, a small one with two significant digits", () => {
    expect(formatDifference(0.0123, "ratio")).toBe("+0.012");
    expect(formatDifference(-0.0008, "ratio")).toBe("−0.00080");
    expect(formatDifference(0, "ratio")).toBe("±0.000");
    expect(formatDifference(-1234.4, "sales")).toBe("−1,234");
    expect(formatDifference(0.4, "sales")).toBe("+0.40");
    expect(formatDifference(null, "sales")).toBe("–");
    expect(formatDifference(Number.NaN, "ratio")).toBe("–");
  });
});
