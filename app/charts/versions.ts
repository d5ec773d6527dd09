/**
 * The model version pages' charts: a version's cross-validation error per fold (version page), and
 * two versions' stored forecasts overlaid on the actual sales (compare view). Pure Vega-Lite spec
 * builders (no DOM, no vega runtime), rendered by VegaChart; the rows are also the pages' tables.
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";

/** What the fold chart needs of a CV fold (app/model's CvFold fits). */
export interface FoldInput {
  fold: number;
  testStart: string;
  testEnd: string;
  rmspe: number;
  mape: number;
}

export interface FoldPoint {
  fold: string;
  metric: "RMSPE" | "MAPE";
  value: number;
  testStart: string;
  testEnd: string;
}

/** Folds as chart rows, oldest test window first; a metric that is not a finite number is left out. */
export function foldPoints(folds: readonly FoldInput[]): FoldPoint[] {
  const ordered = [...folds].sort((a, b) => a.testStart.localeCompare(b.testStart) || a.fold - b.fold);
  return ordered.flatMap((f) =>
    (["RMSPE", "MAPE"] as const)
      .map((metric) => ({
        fold: `Fold ${f.fold}`,
        metric,
        value: metric === "RMSPE" ? f.rmspe : f.mape,
        testStart: f.testStart,
        testEnd: f.testEnd,
      }))
      .filter((p) => Number.isFinite(p.value)),
  );
}

export interface ChartOptions {
  dark?: boolean;
  height?: number;
}

const METRIC_COLORS = { light: ["#2563eb", "#c2410c"], dark: ["#60a5fa", "#fb923c"] };

/**
 * RMSPE and MAPE of each fold as grouped bars (x: fold in test-window order), with each metric's
 * mean over the folds as a dashed rule; null when there is no fold to draw.
 */
export function cvFoldsSpec(folds: readonly FoldInput[], opts: ChartOptions = {}): TopLevelSpec | null {
  const points = foldPoints(folds);
  if (points.length === 0) return null;
  const theme = chartTheme(opts.dark);
  const foldOrder = [...new Set(points.map((p) => p.fold))];
  const color = {
    field: "metric",
    type: "nominal" as const,
    title: "Metric",
    scale: { domain: ["RMSPE", "MAPE"], range: theme.dark ? METRIC_COLORS.dark : METRIC_COLORS.light },
  };
  return {
    $schema: SCHEMA,
    description: `Cross-validation error per fold: RMSPE and MAPE of ${foldOrder.length} folds`,
    title: {
      text: "Cross-validation error per fold",
      subtitle: "lower is better; dashed: mean over folds",
      anchor: "start",
    },
    width: "container",
    height: opts.height ?? 240,
    autosize: { type: "fit-x", contains: "padding" },
    data: { values: points },
    layer: [
      {
        mark: { type: "bar" },
        encoding: {
          x: {
            field: "fold",
            type: "nominal",
            title: "Fold (by test window)",
            sort: foldOrder,
            axis: { labelAngle: 0 },
          },
          xOffset: { field: "metric", sort: ["RMSPE", "MAPE"] },
          y: { field: "value", type: "quantitative", title: "Error (fraction)", scale: { zero: true } },
          color,
          tooltip: [
            { field: "fold", type: "nominal", title: "Fold" },
            { field: "testStart", type: "nominal", title: "Test from" },
            { field: "testEnd", type: "nominal", title: "Test to" },
            { field: "metric", type: "nominal", title: "Metric" },
            { field: "value", type: "quantitative", title: "Value", format: ".3f" },
          ],
        },
      },
      {
        mark: { type: "rule", strokeDash: [6, 4], strokeWidth: 1.5 },
        encoding: { y: { aggregate: "mean", field: "value", type: "quantitative" }, color },
      },
    ],
    config: chartConfig(theme),
  };
}

export interface CompareInput {
  actuals: readonly { date: string; sales: number }[];
  forecasts: readonly {
    version: number;
    points: readonly { date: string; value: number; lower: number; upper: number }[];
  }[];
}

export interface CompareRow {
  date: string;
  series: string;
  value: number;
  lower: number | null;
  upper: number | null;
}

export const ACTUAL_SERIES = "Actual sales";
export const versionSeries = (version: number) => `Version ${version}`;

/** The actuals and each version's forecast as one list of rows (a version asked twice appears once). */
export function compareRows(input: CompareInput): CompareRow[] {
  const rows: CompareRow[] = input.actuals.map((a) => ({
    date: a.date,
    series: ACTUAL_SERIES,
    value: a.sales,
    lower: null,
    upper: null,
  }));
  const seen = new Set<number>();
  for (const f of input.forecasts) {
    if (seen.has(f.version)) continue;
    seen.add(f.version);
    for (const p of f.points) {
      rows.push({ date: p.date, series: versionSeries(f.version), value: p.value, lower: p.lower, upper: p.upper });
    }
  }
  return rows;
}

const COMPARE_COLORS = {
  light: { actual: "#334155", versions: ["#2563eb", "#c2410c"] },
  dark: { actual: "#cbd5e1", versions: ["#60a5fa", "#fb923c"] },
};

/**
 * Actual sales and each version's stored forecast (with its 95% band) over the same days, one
 * colour and dash per series; null when no version has a stored forecast (nothing to compare).
 */
export function compareForecastSpec(input: CompareInput, opts: ChartOptions = {}): TopLevelSpec | null {
  const rows = compareRows(input);
  if (!rows.some((r) => r.series !== ACTUAL_SERIES)) return null;
  const theme = chartTheme(opts.dark);
  const palette = theme.dark ? COMPARE_COLORS.dark : COMPARE_COLORS.light;
  const versions = [...new Set(rows.filter((r) => r.series !== ACTUAL_SERIES).map((r) => r.series))];
  const domain = [ACTUAL_SERIES, ...versions];
  const colorScale = { domain, range: [palette.actual, ...versions.map((_, i) => palette.versions[i % 2]!)] };
  const dashes = [[1, 0], ...versions.map((_, i) => (i === 0 ? [1, 0] : [6, 4]))];
  const x = {
    field: "date",
    type: "temporal" as const,
    title: "Date",
    scale: { type: "utc" as const },
    axis: { format: "%d %b", labelOverlap: true },
  };
  // Line samples at full opacity: without the encode they take the band's faint fill.
  const legend = {
    title: null,
    symbolType: "stroke",
    symbolStrokeWidth: 2.5,
    symbolSize: 300,
    encode: { symbols: { update: { opacity: { value: 1 }, fillOpacity: { value: 0 } } } },
  } as const;
  const color = { field: "series", type: "nominal" as const, scale: colorScale, legend };
  return {
    $schema: SCHEMA,
    description: `Actual sales and the stored forecasts of ${versions.join(" and ")}`,
    title: {
      text: "Forecasts against actual sales",
      subtitle: "as each version forecast them when it served; bands: 95%",
      anchor: "start",
    },
    width: "container",
    height: opts.height ?? 320,
    autosize: { type: "fit-x", contains: "padding" },
    data: { values: rows },
    layer: [
      {
        transform: [{ filter: "datum.lower != null" }],
        mark: { type: "area", opacity: theme.dark ? 0.2 : 0.14 },
        encoding: { x, y: { field: "lower", type: "quantitative" }, y2: { field: "upper" }, color },
      },
      {
        mark: { type: "line", point: { filled: true, size: 30 }, strokeWidth: 2 },
        encoding: {
          x,
          y: { field: "value", type: "quantitative", title: "Sales", scale: { zero: true } },
          color,
          strokeDash: { field: "series", type: "nominal", title: null, scale: { domain, range: dashes } },
          tooltip: [
            { field: "series", type: "nominal", title: "Series" },
            { field: "date", type: "nominal", title: "Date" },
            { field: "value", type: "quantitative", title: "Sales", format: ",d" },
            { field: "lower", type: "quantitative", title: "95% low", format: ",d" },
            { field: "upper", type: "quantitative", title: "95% high", format: ",d" },
          ],
        },
      },
    ],
    config: chartConfig(theme),
  };
}

export interface CompareDay {
  date: string;
  actual: number | null;
  a: number | null;
  b: number | null;
}

/**
 * The forecast days of versions `a` and `b` as one table (the chart's text version): each day either
 * version forecast, with the actual sales when known; oldest first.
 */
export function compareByDate(input: CompareInput, a: number, b: number): CompareDay[] {
  const days = new Map<string, CompareDay>();
  const day = (date: string) => {
    let d = days.get(date);
    if (!d) {
      d = { date, actual: null, a: null, b: null };
      days.set(date, d);
    }
    return d;
  };
  for (const f of input.forecasts) {
    for (const p of f.points) {
      if (f.version === a) day(p.date).a = p.value;
      if (f.version === b) day(p.date).b = p.value;
    }
  }
  for (const s of input.actuals) {
    const d = days.get(s.date);
    if (d) d.actual = s.sales;
  }
  return [...days.values()].sort((x, y) => x.date.localeCompare(y.date));
}

export interface ForecastCoverage {
  version: number;
  days: number;
  from: string | null;
  to: string | null;
  /** Forecast days that have an actual sale recorded. */
  withActual: number;
}

/** How much each version has stored, and how much of it can be checked against actual sales. */
export function forecastCoverage(input: CompareInput): ForecastCoverage[] {
  const actualDates = new Set(input.actuals.map((s) => s.date));
  return input.forecasts.map((f) => {
    const dates = f.points.map((p) => p.date).sort();
    return {
      version: f.version,
      days: dates.length,
      from: dates[0] ?? null,
      to: dates.at(-1) ?? null,
      withActual: dates.filter((d) => actualDates.has(d)).length,
    };
  });
}
