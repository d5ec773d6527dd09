/**
 * The store page's forecast components chart: for each open day of the weekly forecast, a small
 * waterfall: the trend's bar from 0, then each effect (weekly pattern, time of year, each
 * regressor) stacked from where the one before ended, up or down, so the last bar ends at the
 * forecast, which a line of points marks. A stack from zero would draw a negative effect below the
 * axis, far from the sales it takes away.
 * A pure Vega-Lite spec builder (no DOM, no vega runtime), rendered by VegaChart.
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

/** A term of the forecast, as the chart and its table name it. */
export interface ComponentTerm {
  key: string;
  label: string;
}

export interface ComponentsDay {
  date: string;
  open: boolean;
  /** Each term's effect in sales, by term key (every term of the input's `terms`). */
  parts: Record<string, number>;
  /** The terms' sum (Prophet's yhat); the forecast shows it clamped at 0. */
  yhat: number;
  forecast: number;
}

export interface ComponentsChartInput {
  terms: ComponentTerm[];
  days: ComponentsDay[];
}

export interface ComponentRow {
  date: string;
  term: string;
  value: number;
  /** Where the term's bar starts and ends: the running sum of the terms before it, and with it. */
  from: number;
  to: number;
}

const FORECAST = "Forecast (sum)";
/** Colours that tell the terms apart in both themes; the forecast is drawn in the text colour. */
const PALETTE = ["#64748b", "#0ea5e9", "#a855f7", "#f59e0b", "#10b981", "#ef4444"];

/** The bars' data: one row per open day and term, in the terms' order, each from the running sum. */
export function componentRows(input: ComponentsChartInput): ComponentRow[] {
  return input.days
    .filter((d) => d.open)
    .flatMap((d) => {
      let sum = 0;
      return input.terms.map((t) => {
        const value = d.parts[t.key] ?? 0;
        const from = sum;
        sum += value;
        return { date: d.date, term: t.label, value: round2(value), from: round2(from), to: round2(sum) };
      });
    });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

export interface ComponentsChartOptions {
  dark?: boolean;
  height?: number;
}

/** The spec, or null when no day of the week is open (nothing to take apart). */
export function componentsSpec(input: ComponentsChartInput, opts: ComponentsChartOptions = {}): TopLevelSpec | null {
  const rows = componentRows(input);
  if (rows.length === 0) return null;
  const theme = chartTheme(opts.dark ?? false);
  const labels = input.terms.map((t) => t.label);
  const totals = input.days.filter((d) => d.open).map((d) => ({ date: d.date, value: round2(d.yhat) }));
  const x = {
    field: "date",
    type: "ordinal",
    title: null,
    sort: "ascending",
    // Weekday and day: the merchandiser's way of naming a day of next week.
    axis: { labelExpr: "utcFormat(toDate(datum.value + 'T00:00:00Z'), '%a %d %b')", labelAngle: 0 },
  } as const;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Forecast components per day: ${labels.join(", ")}, each from where the one before ended; the forecast is their sum`,
    width: "container",
    height: opts.height ?? 260,
    autosize: { type: "fit-x", contains: "padding" },
    layer: [
      {
        data: { values: rows },
        mark: { type: "bar", opacity: 0.9 },
        encoding: {
          x,
          xOffset: { field: "term", type: "nominal", sort: labels },
          y: { field: "from", type: "quantitative", title: "Sales" },
          y2: { field: "to" },
          color: {
            field: "term",
            type: "nominal",
            title: null,
            scale: { domain: [...labels, FORECAST], range: [...PALETTE.slice(0, labels.length), theme.text] },
          },
          tooltip: [
            { field: "date", type: "nominal", title: "Day" },
            { field: "term", type: "nominal", title: "Component" },
            { field: "value", type: "quantitative", title: "Sales", format: ",.0f" },
          ],
        },
      },
      {
        data: { values: totals.map((t) => ({ ...t, term: FORECAST })) },
        mark: { type: "line", point: { filled: true, size: 50 }, strokeWidth: 1.5 },
        encoding: {
          x,
          y: { field: "value", type: "quantitative" },
          color: { field: "term", type: "nominal" },
          tooltip: [
            { field: "date", type: "nominal", title: "Day" },
            { field: "value", type: "quantitative", title: "Forecast (sum)", format: ",.0f" },
          ],
        },
      },
    ],
    config: chartConfig(theme),
  };
}
