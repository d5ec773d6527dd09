import { parse, View } from "vega";
import type { TopLevelSpec } from "vega-lite";
import { compile } from "vega-lite";
import { describe, expect, it } from "vitest";
import {
  ACTUAL_SERIES,
  type CompareInput,
  compareByDate,
  compareForecastSpec,
  compareRows,
  cvFoldsSpec,
  type FoldInput,
  foldPoints,
  forecastCoverage,
} from "../../../app/charts/versions.js";

/** Renders a spec the way the browser does (vega-lite -> vega -> SVG), without a browser. */
async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = compile({ ...spec, width: 600 } as TopLevelSpec).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

const fold = (n: number, testStart: string, rmspe: number, mape: number): FoldInput => ({
  fold: n,
  testStart,
  testEnd: testStart,
  rmspe,
  mape,
});

describe("CV folds chart", () => {
  it("has one RMSPE and one MAPE point per fold, in test-window order", () => {
    const points = foldPoints([fold(2, "2026-02-08", 0.2, 0.15), fold(1, "2026-02-01", 0.1, 0.08)]);
    expect(points.map((p) => [p.fold, p.metric, p.value])).toEqual([
      ["Fold 1", "RMSPE", 0.1],
      ["Fold 1", "MAPE", 0.08],
      ["Fold 2", "RMSPE", 0.2],
      ["Fold 2", "MAPE", 0.15],
    ]);
  });

  it("leaves out a metric that is not a number (a fold with no non-zero actual)", () => {
    const points = foldPoints([fold(1, "2026-02-01", Number.NaN, 0.08)]);
    expect(points.map((p) => p.metric)).toEqual(["MAPE"]);
  });

  it("is null without folds", () => {
    expect(cvFoldsSpec([])).toBeNull();
  });

  it("compiles and draws a bar per fold and metric, with the mean rules", async () => {
    const spec = cvFoldsSpec([fold(1, "2026-02-01", 0.1, 0.08), fold(2, "2026-02-08", 0.2, 0.15)], { dark: true })!;
    expect(spec.description).toContain("2 folds");
    const svg = await renderSvg(spec);
    expect(svg).toContain("Fold 1");
    expect(svg).toContain("Fold 2");
    expect(svg).toContain("RMSPE");
    expect((svg.match(/aria-roledescription="bar"/g) ?? []).length).toBe(4);
    // One mean rule per metric.
    expect((svg.match(/aria-roledescription="rule mark"/g) ?? []).length).toBe(2);
  });
});

const input: CompareInput = {
  actuals: [
    { date: "2026-03-01", sales: 100 },
    { date: "2026-03-02", sales: 120 },
    { date: "2026-03-03", sales: 130 },
  ],
  forecasts: [
    {
      version: 3,
      points: [
        { date: "2026-03-02", value: 110, lower: 90, upper: 130 },
        { date: "2026-03-03", value: 115, lower: 95, upper: 135 },
      ],
    },
    {
      version: 5,
      points: [
        { date: "2026-03-03", value: 128, lower: 100, upper: 150 },
        { date: "2026-03-04", value: 140, lower: 110, upper: 170 },
      ],
    },
  ],
};

describe("compare chart", () => {
  it("has the actuals and each version's forecast as rows; a version asked twice appears once", () => {
    const rows = compareRows({ ...input, forecasts: [input.forecasts[0]!, input.forecasts[0]!] });
    expect(rows.filter((r) => r.series === ACTUAL_SERIES)).toHaveLength(3);
    expect(rows.filter((r) => r.series === "Version 3")).toHaveLength(2);
    expect(rows.filter((r) => r.series === "Version 3").every((r) => r.lower !== null)).toBe(true);
  });

  it("is null when neither version has a stored forecast (nothing is invented)", () => {
    expect(
      compareForecastSpec({
        actuals: input.actuals,
        forecasts: [
          { version: 3, points: [] },
          { version: 5, points: [] },
        ],
      }),
    ).toBeNull();
  });

  it("draws actuals and both versions in one chart with one legend entry each", async () => {
    const spec = compareForecastSpec(input)!;
    expect(spec.description).toBe("Actual sales and the stored forecasts of Version 3 and Version 5");
    const svg = await renderSvg(spec);
    for (const name of [ACTUAL_SERIES, "Version 3", "Version 5"]) expect(svg).toContain(name);
    // Two bands (areas), three lines.
    expect((svg.match(/aria-roledescription="area mark"/g) ?? []).length).toBe(2);
    expect((svg.match(/aria-roledescription="line mark"/g) ?? []).length).toBe(3);
  });

  it("tables the forecast days with the actuals where they exist", () => {
    expect(compareByDate(input, 3, 5)).toEqual([
      { date: "2026-03-02", actual: 120, a: 110, b: null },
      { date: "2026-03-03", actual: 130, a: 115, b: 128 },
      { date: "2026-03-04", actual: null, a: null, b: 140 },
    ]);
  });

  it("says how many forecast days each version stored and how many have actuals", () => {
    expect(forecastCoverage({ ...input, forecasts: [...input.forecasts, { version: 7, points: [] }] })).toEqual([
      { version: 3, days: 2, from: "2026-03-02", to: "2026-03-03", withActual: 2 },
      { version: 5, days: 2, from: "2026-03-03", to: "2026-03-04", withActual: 1 },
      { version: 7, days: 0, from: null, to: null, withActual: 0 },
    ]);
  });
});
