/** The forecast components chart's spec (app/charts/components.ts), compiled and rendered as Vega does. */
import { parse, View } from "vega";
import { compile } from "vega-lite";
import { describe, expect, it } from "vitest";
import { type ComponentsChartInput, componentRows, componentsSpec } from "../../../app/charts/components.js";

const TERMS = [
  { key: "trend", label: "Trend" },
  { key: "weekly", label: "Weekly pattern" },
  { key: "promo", label: "Promo" },
];

const day = (date: string, open: boolean, trend: number, weekly: number, promo: number) => ({
  date,
  open,
  parts: { trend, weekly, promo },
  yhat: trend + weekly + promo,
  forecast: open ? Math.max(0, trend + weekly + promo) : 0,
});

const INPUT: ComponentsChartInput = {
  terms: TERMS,
  days: [
    day("2026-03-06", true, 5000, 400.123, 1200),
    day("2026-03-07", true, 4990, -600, 0),
    day("2026-03-08", false, 4980, -2000, 0),
  ],
};

async function renderSvg(spec: NonNullable<ReturnType<typeof componentsSpec>>): Promise<string> {
  const vega = compile({ ...spec, width: 600 } as typeof spec).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

describe("forecast components chart", () => {
  it("has one bar per open day and term, each from where the one before ended, so the last ends at the forecast; closed days are left out", () => {
    expect(componentRows(INPUT)).toEqual([
      { date: "2026-03-06", term: "Trend", value: 5000, from: 0, to: 5000 },
      { date: "2026-03-06", term: "Weekly pattern", value: 400.12, from: 5000, to: 5400.12 },
      { date: "2026-03-06", term: "Promo", value: 1200, from: 5400.12, to: 6600.12 },
      { date: "2026-03-07", term: "Trend", value: 4990, from: 0, to: 4990 },
      // A negative effect goes down from where the trend ended, not below the axis.
      { date: "2026-03-07", term: "Weekly pattern", value: -600, from: 4990, to: 4390 },
      { date: "2026-03-07", term: "Promo", value: 0, from: 4390, to: 4390 },
    ]);
  });

  it("builds a spec Vega-Lite compiles: a waterfall per day, a colour per term, the forecast as their sum", () => {
    const spec = componentsSpec(INPUT)!;
    const s = spec as unknown as {
      description: string;
      layer: {
        data: { values: { date: string; value: number }[] };
        encoding: { color: { scale?: { domain: string[] } } };
      }[];
    };
    expect(s.description).toBe(
      "Forecast components per day: Trend, Weekly pattern, Promo, each from where the one before ended; the forecast is their sum",
    );
    expect(s.layer[0]!.encoding.color.scale!.domain).toEqual(["Trend", "Weekly pattern", "Promo", "Forecast (sum)"]);
    expect(s.layer[1]!.data.values.map((v) => [v.date, v.value])).toEqual([
      ["2026-03-06", 6600.12],
      ["2026-03-07", 4390],
    ]);
    expect(() => compile(spec)).not.toThrow();
  });

  it("renders a bar per open day and term, the forecast line, and weekday labels, as SVG", async () => {
    const svg = await renderSvg(componentsSpec(INPUT)!);
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg.match(/aria-roledescription="bar"/g)?.length).toBe(6);
    expect(svg.match(/aria-roledescription="line mark"/g)?.length).toBe(1);
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    expect(labels).toContain("Fri 06 Mar");
    expect(labels).toContain("Sat 07 Mar");
    expect(labels).not.toContain("Sun 08 Mar");
    expect(svg).toContain("Component: Weekly pattern");
  });

  it("has nothing to draw for a week the store is closed", () => {
    expect(componentsSpec({ terms: TERMS, days: [day("2026-03-08", false, 10, 0, 0)] })).toBeNull();
    expect(componentsSpec({ terms: TERMS, days: [] })).toBeNull();
  });

  it("uses light text on a dark page, the forecast line in the text colour", () => {
    const spec = componentsSpec(INPUT, { dark: true }) as unknown as {
      config: { axis: { labelColor: string } };
      layer: { encoding: { color: { scale?: { range: string[] } } } }[];
    };
    expect(spec.config.axis.labelColor).toBe("#e2e8f0");
    expect(spec.layer[0]!.encoding.color.scale!.range.at(-1)).toBe("#e2e8f0");
  });
});
