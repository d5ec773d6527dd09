/**
 * The store page's chart: the last weeks of actual sales, the latest weekly 7-day forecast with
 * its 95% band and, when asked for, an ad-hoc forecast with its band as a second, distinct series.
 * Pure functions (no DOM, no vega runtime): the rows here are also what the CSV download holds,
 * so the file and the chart cannot disagree.
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

export const SERIES = {
  actual: "Actual sales",
  weekly: "Weekly forecast",
  adhoc: "Ad-hoc forecast",
} as const;
export type SeriesName = (typeof SERIES)[keyof typeof SERIES];

/** Colour and dash per series: the ad-hoc forecast differs from the weekly one in both. */
const STYLE: Record<SeriesName, { color: string; darkColor: string; dash: number[] }> = {
  [SERIES.actual]: { color: "#334155", darkColor: "#cbd5e1", dash: [1, 0] },
  [SERIES.weekly]: { color: "#2563eb", darkColor: "#60a5fa", dash: [1, 0] },
  [SERIES.adhoc]: { color: "#c2410c", darkColor: "#fb923c", dash: [6, 4] },
};

export interface ActualDay {
  /** YYYY-MM-DD */
  date: string;
  sales: number;
}

export interface BandPoint {
  /** YYYY-MM-DD */
  date: string;
  value: number;
  lower: number;
  upper: number;
}

export interface ForecastSeries {
  modelName: string;
  modelVersion: number;
  points: readonly BandPoint[];
}

export interface ForecastChartInput {
  actuals: readonly ActualDay[];
  weekly: ForecastSeries | null;
  adhoc: ForecastSeries | null;
}

/** One point of the chart (and one line of the CSV). Values are whole sales units, as the API gives them. */
export interface ChartRow {
  date: string;
  series: SeriesName;
  value: number;
  lower: number | null;
  upper: number | null;
  model: string | null;
  version: number | null;
}

const finite = (n: number) => typeof n === "number" && Number.isFinite(n);

function bandRows(series: SeriesName, f: ForecastSeries | null): ChartRow[] {
  if (!f) return [];
  return f.points
    .filter((p) => finite(p.value) && finite(p.lower) && finite(p.upper))
    .map((p) => ({
      date: p.date,
      series,
      value: Math.round(p.value),
      lower: Math.round(p.lower),
      upper: Math.round(p.upper),
      model: f.modelName,
      version: f.modelVersion,
    }))
    .sort((a, b) => a.date.localeCompare(b.date));
}

/** Every point on the chart: actual sales, then the weekly forecast, then the ad-hoc one, each by date. */
export function chartRows(input: ForecastChartInput): ChartRow[] {
  const actual: ChartRow[] = input.actuals
    .filter((d) => finite(d.sales))
    .map((d) => ({
      date: d.date,
      series: SERIES.actual,
      value: d.sales,
      lower: null,
      upper: null,
      model: null,
      version: null,
    }))
    .sort((a, b) => a.date.localeCompare(b.date));
  return [...actual, ...bandRows(SERIES.weekly, input.weekly), ...bandRows(SERIES.adhoc, input.adhoc)];
}

export interface ForecastHeading {
  title: string;
  subtitle: string;
  from: string;
  to: string;
}

/** The chart's title and subtitle, as the reference system's Streamlit chart had them (null without a forecast). */
export function forecastHeading(weekly: ForecastSeries | null): ForecastHeading | null {
  if (!weekly || weekly.points.length === 0) return null;
  const dates = weekly.points.map((p) => p.date).sort();
  const from = dates[0]!;
  const to = dates.at(-1)!;
  return {
    title: `Sales forecast for the week ${from} to ${to}`,
    subtitle: `model: ${weekly.modelName} | version: ${weekly.modelVersion} | CI: 95%`,
    from,
    to,
  };
}

/**
 * One legend for all layers (they share the colour scale), drawn as line samples at full opacity:
 * without this it would take the band's faint fill.
 */
const LEGEND = {
  title: null,
  symbolType: "stroke",
  symbolStrokeWidth: 2.5,
  symbolSize: 300,
  encode: { symbols: { update: { opacity: { value: 1 }, fillOpacity: { value: 0 } } } },
} as const;

export interface ForecastChartOptions {
  /** Dark page background: light text, grid and lines. */
  dark?: boolean;
  height?: number;
}

/**
 * The Vega-Lite spec: a 95% band (area) per forecast, a line with points per series, one legend
 * naming the series, and a tooltip per point. It fills its container's width.
 */
export function forecastSpec(input: ForecastChartInput, opts: ForecastChartOptions = {}): TopLevelSpec {
  const theme = chartTheme(opts.dark);
  const rows = chartRows(input);
  const present = (Object.values(SERIES) as SeriesName[]).filter((s) => rows.some((r) => r.series === s));
  const heading = forecastHeading(input.weekly);
  const colorScale = {
    domain: present,
    range: present.map((s) => (theme.dark ? STYLE[s].darkColor : STYLE[s].color)),
  };
  const x = {
    field: "date",
    type: "temporal" as const,
    title: "Date",
    scale: { type: "utc" as const },
    // A utc scale formats its ticks in UTC: the dates are calendar days, whatever the browser's zone.
    axis: { format: "%d %b", labelOverlap: true },
  };
  const lineLayer = (
    filter: string,
    tooltip: { field: string; type: "nominal" | "quantitative"; title: string; format?: string }[],
  ) => ({
    transform: [{ filter }],
    mark: { type: "line" as const, point: { filled: true, size: 36 }, strokeWidth: 2 },
    encoding: {
      x,
      y: { field: "value", type: "quantitative" as const, title: "Sales", scale: { zero: true } },
      color: { field: "series", type: "nominal" as const, scale: colorScale, legend: LEGEND },
      strokeDash: {
        field: "series",
        type: "nominal" as const,
        title: null,
        scale: { domain: present, range: present.map((s) => STYLE[s].dash) },
      },
      tooltip,
    },
  });
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: heading ? `${heading.title}. ${heading.subtitle}` : "Actual sales; no forecast yet",
    width: "container",
    height: opts.height ?? 320,
    autosize: { type: "fit-x", contains: "padding" },
    data: { values: rows },
    layer: [
      {
        // The 95% interval of each forecast, coloured like its line (the layers share one legend).
        transform: [{ filter: "datum.lower != null" }],
        mark: { type: "area", opacity: theme.dark ? 0.25 : 0.18 },
        encoding: {
          x,
          y: { field: "lower", type: "quantitative" },
          y2: { field: "upper" },
          color: { field: "series", type: "nominal", scale: colorScale, legend: LEGEND },
        },
      },
      // Actual sales and the forecasts are two line layers only for their tooltips (no band on actuals);
      // they share the colour and dash scales, so there is one legend.
      lineLayer("datum.lower == null", [
        { field: "series", type: "nominal", title: "Series" },
        { field: "date", type: "nominal", title: "Date" },
        { field: "value", type: "quantitative", title: "Sales", format: ",d" },
      ]),
      lineLayer("datum.lower != null", [
        { field: "series", type: "nominal", title: "Series" },
        { field: "date", type: "nominal", title: "Date" },
        { field: "value", type: "quantitative", title: "Sales", format: ",d" },
        { field: "lower", type: "quantitative", title: "95% low", format: ",d" },
        { field: "upper", type: "quantitative", title: "95% high", format: ",d" },
        { field: "version", type: "nominal", title: "Model version" },
      ]),
    ],
    config: chartConfig(theme),
  };
}
