import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import { accuracyPoints, coverageSpec, realizedErrorSpec } from "../../../app/charts/accuracy.js";

const day = (date: string, rmspe: number | null, cvRmspe: number | null, coverage: number | null = 0.9) => ({
  date,
  rmspe,
  cvRmspe,
  coverage,
  errorDays: 100,
});

async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const vega = compile({ ...spec, width: 600 } as TopLevelSpec).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

describe("accuracy charts", () => {
  it("keeps the days with a realized error, oldest first, in percent, the band up to the drift threshold", () => {
    expect(
      accuracyPoints(
        [day("2026-12-02", 0.2, 0.1), day("2026-12-01", 0.125, null, null), day("2026-12-03", null, 0.1)],
        1.5,
      ),
    ).toEqual([
      { date: "2026-12-01", realized: 12.5, cv: null, threshold: null, coverage: null, days: 100 },
      { date: "2026-12-02", realized: 20, cv: 10, threshold: 15, coverage: 90, days: 100 },
    ]);
  });

  it("draws nothing without a scored day", () => {
    expect(realizedErrorSpec([])).toBeNull();
    expect(realizedErrorSpec([day("2026-12-01", null, 0.1)])).toBeNull();
    expect(coverageSpec([day("2026-12-01", 0.1, 0.1, null)])).toBeNull();
  });

  it("builds specs Vega-Lite compiles and Vega renders, with descriptions for screen readers", async () => {
    const days = [
      day("2026-12-01", 0.11, 0.1, 0.94),
      day("2026-12-02", 0.16, 0.1, 0.9),
      day("2026-12-03", 0.3, 0.1, 0.7),
    ];
    const error = realizedErrorSpec(days, { ratio: 2 })!;
    const coverage = coverageSpec(days)!;
    expect(error.description).toContain("3 days");
    expect(JSON.stringify(error)).toContain("2x it");
    for (const spec of [error, coverage]) {
      const svg = await renderSvg(spec);
      expect(svg).toContain("<svg");
      expect(svg).toMatch(/Day \(UTC\)/);
    }
  });
});
