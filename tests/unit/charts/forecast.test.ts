import { parse as parseCsv } from "csv-parse/sync";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { describe, expect, it } from "vitest";
import {
  type ActualDay,
  type BandPoint,
  chartRows,
  type ForecastChartInput,
  forecastHeading,
  forecastSpec,
  SERIES,
} from "../../../app/charts/forecast.js";
import { chartConfig, chartTheme } from "../../../app/charts/theme.js";
import { chartCsv } from "../../../app/routes/_pages+/store-page.server.js";

const actuals: ActualDay[] = [
  { date: "2026-01-02", sales: 5100 },
  { date: "2026-01-01", sales: 4800 },
  { date: "2026-01-03", sales: 0 },
];
const band = (date: string, value: number): BandPoint => ({ date, value, lower: value - 500.4, upper: value + 499.6 });
const weekly = {
  modelName: "prophet-retail-forecaster-store-262-product_A",
  modelVersion: 4,
  points: [band("2026-01-05", 5200.6), band("2026-01-04", 5000.2), band("2026-01-06", 5300)],
};
const adhoc = {
  modelName: weekly.modelName,
  modelVersion: 4,
  points: [band("2026-02-01", 6000), band("2026-02-02", 6100)],
};
const full: ForecastChartInput = { actuals, weekly, adhoc };

/** Vega-Lite -> Vega -> SVG, as the browser draws it, without a browser. Returns the SVG and Vega-Lite's warnings. */
async function renderSvg(spec: TopLevelSpec): Promise<{ svg: string; warnings: string[] }> {
  const warnings: string[] = [];
  const logger = {
    level: () => logger,
    error: (...a: unknown[]) => warnings.push(a.join(" ")),
    warn: (...a: unknown[]) => warnings.push(a.join(" ")),
    info: () => logger,
    debug: () => logger,
  };
  // "container" width needs an element to measure; a fixed width draws the same marks.
  const vega = compile({ ...spec, width: 640 } as TopLevelSpec, { logger: logger as never }).spec;
  const view = new View(parse(vega), { renderer: "none" });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

describe("chart rows (what the chart and the CSV show)", () => {
  it("lists actual sales, then the weekly forecast, then the ad-hoc one, each by date, in whole units", () => {
    const rows = chartRows(full);
    expect(rows.map((r) => [r.series, r.date])).toEqual([
      [SERIES.actual, "2026-01-01"],
      [SERIES.actual, "2026-01-02"],
      [SERIES.actual, "2026-01-03"],
      [SERIES.weekly, "2026-01-04"],
      [SERIES.weekly, "2026-01-05"],
      [SERIES.weekly, "2026-01-06"],
      [SERIES.adhoc, "2026-02-01"],
      [SERIES.adhoc, "2026-02-02"],
    ]);
    expect(rows[0]).toEqual({
      date: "2026-01-01",
      series: "Actual sales",
      value: 4800,
      lower: null,
      upper: null,
      model: null,
      version: null,
    });
    expect(rows[4]).toEqual({
      date: "2026-01-05",
      series: "Weekly forecast",
      value: 5201,
      lower: 4700,
      upper: 5700,
      model: weekly.modelName,
      version: 4,
    });
  });

  it("drops points that are not finite numbers instead of drawing garbage", () => {
    const rows = chartRows({
      actuals: [{ date: "2026-01-01", sales: Number.NaN }, ...actuals],
      weekly: {
        ...weekly,
        points: [...weekly.points, { date: "2026-01-07", value: 1, lower: Number.NEGATIVE_INFINITY, upper: 2 }],
      },
      adhoc: null,
    });
    expect(rows.filter((r) => r.series === SERIES.actual)).toHaveLength(3);
    expect(rows.filter((r) => r.series === SERIES.weekly).map((r) => r.date)).not.toContain("2026-01-07");
    expect(rows.some((r) => r.series === SERIES.adhoc)).toBe(false);
  });

  it("is empty for a series with nothing to show", () => {
    expect(chartRows({ actuals: [], weekly: null, adhoc: null })).toEqual([]);
  });
});

describe("forecast heading", () => {
  it("names the forecast week, the model and its version, as the reference system's chart did", () => {
    expect(forecastHeading(weekly)).toEqual({
      title: "Sales forecast for the week 2026-01-04 to 2026-01-06",
      subtitle: "model: prophet-retail-forecaster-store-262-product_A | version: 4 | CI: 95%",
      from: "2026-01-04",
      to: "2026-01-06",
    });
  });

  it("is null without a weekly forecast", () => {
    expect(forecastHeading(null)).toBeNull();
    expect(forecastHeading({ ...weekly, points: [] })).toBeNull();
  });
});

describe("forecast chart spec", () => {
  it("compiles without warnings and draws the three series with one legend naming them", async () => {
    const spec = forecastSpec(full);
    const { svg, warnings } = await renderSvg(spec);
    expect(warnings).toEqual([]);
    for (const name of ["Actual sales", "Weekly forecast", "Ad-hoc forecast"]) expect(svg).toContain(`>${name}<`);
    // Two bands (weekly, ad-hoc) and three lines; the ad-hoc line is the dashed one.
    expect(svg.match(/class="mark-area role-mark/g)?.length).toBe(2);
    const lines = svg.match(/<g class="mark-line role-mark[^>]*><path[^>]*>/g) ?? [];
    expect(lines).toHaveLength(3);
    expect(
      lines.filter((l) => l.includes('stroke-dasharray="6,4"')).map((l) => /series: ([^;]+);/.exec(l)?.[1]),
    ).toEqual(["Ad-hoc forecast"]);
    const compiled = compile({ ...spec, width: 640 } as TopLevelSpec).spec;
    expect(compiled.legends).toHaveLength(1);
    expect(compiled.legends?.[0]).toMatchObject({ symbolType: "stroke", values: Object.values(SERIES) });
  });

  it("fills its container's width, with the rows as its data and a description for assistive technology", () => {
    const spec = forecastSpec(full) as TopLevelSpec & { data: { values: unknown[] }; width: unknown };
    expect(spec.width).toBe("container");
    expect(spec.autosize).toMatchObject({ type: "fit-x" });
    expect(spec.data.values).toEqual(chartRows(full));
    expect(spec.description).toBe(
      "Sales forecast for the week 2026-01-04 to 2026-01-06. model: prophet-retail-forecaster-store-262-product_A | version: 4 | CI: 95%",
    );
  });

  it("draws the ad-hoc forecast in a colour and dash of its own", () => {
    const compiled = compile({ ...forecastSpec(full), width: 640 } as TopLevelSpec).spec;
    const scale = (name: string) =>
      compiled.scales?.find((s) => s.name === name) as { domain: string[]; range: unknown[] };
    const color = scale("color");
    const dash = scale("strokeDash");
    const at = (s: { domain: string[]; range: unknown[] }, series: string) => s.range[s.domain.indexOf(series)];
    expect(at(color, SERIES.adhoc)).not.toEqual(at(color, SERIES.weekly));
    expect(at(dash, SERIES.adhoc)).not.toEqual(at(dash, SERIES.weekly));
  });

  it("lists only the series that have points, in the legend and the colour scale", async () => {
    const spec = forecastSpec({ actuals, weekly, adhoc: null });
    const compiled = compile({ ...spec, width: 640 } as TopLevelSpec).spec;
    expect(compiled.legends?.[0]?.values).toEqual([SERIES.actual, SERIES.weekly]);
    const { svg } = await renderSvg(spec);
    expect(svg).not.toContain("Ad-hoc forecast");
  });

  it("draws actual sales alone when no model has been trained, described as such", async () => {
    const spec = forecastSpec({ actuals, weekly: null, adhoc: null });
    expect(spec.description).toBe("Actual sales; no forecast yet");
    const { svg, warnings } = await renderSvg(spec);
    expect(warnings).toEqual([]);
    expect(svg).toContain(">Actual sales<");
  });

  it("gives every point a tooltip; forecast points also show their 95% interval and model version", () => {
    const spec = forecastSpec(full) as unknown as { layer: { encoding: { tooltip?: { title: string }[] } }[] };
    const titles = spec.layer.map((l) => l.encoding.tooltip?.map((t) => t.title) ?? []);
    expect(titles[1]).toEqual(["Series", "Date", "Sales"]);
    expect(titles[2]).toEqual(["Series", "Date", "Sales", "95% low", "95% high", "Model version"]);
  });

  it("uses light text on a dark page and dark text on a light one", () => {
    const light = forecastSpec(full);
    const dark = forecastSpec(full, { dark: true });
    expect(light.config?.axis?.labelColor).toBe(chartTheme(false).text);
    expect(dark.config?.axis?.labelColor).toBe(chartTheme(true).text);
    expect(dark.config?.axis?.labelColor).not.toBe(light.config?.axis?.labelColor);
    expect(chartConfig(chartTheme(true)).background).toBe("transparent");
  });
});

describe("chart CSV", () => {
  it("holds exactly the chart's rows, bands empty where there are none", () => {
    const rows = chartRows(full);
    const records = parseCsv(chartCsv(rows), { columns: true }) as Record<string, string>[];
    expect(Object.keys(records[0]!)).toEqual([
      "date",
      "series",
      "sales",
      "lower_ci_95",
      "upper_ci_95",
      "model_name",
      "model_version",
    ]);
    expect(records).toHaveLength(rows.length);
    expect(records[0]).toEqual({
      date: "2026-01-01",
      series: "Actual sales",
      sales: "4800",
      lower_ci_95: "",
      upper_ci_95: "",
      model_name: "",
      model_version: "",
    });
    expect(records.at(-1)).toEqual({
      date: "2026-02-02",
      series: "Ad-hoc forecast",
      sales: "6100",
      lower_ci_95: "5600",
      upper_ci_95: "6600",
      model_name: weekly.modelName,
      model_version: "4",
    });
  });

  it("is a header line alone for an empty chart", () => {
    expect(chartCsv([]).trim()).toBe("date,series,sales,lower_ci_95,upper_ci_95,model_name,model_version");
  });
});
