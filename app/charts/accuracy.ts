/**
 * The Accuracy page's charts: the fleet's realized RMSPE per day against what cross-validation
 * promised (a band from the CV RMSPE to the drift threshold, DRIFT_RMSPE_RATIO times it), and the
 * share of open days inside the 95% interval against the promised 95%. Pure Vega-Lite spec builders
 * (no DOM, no vega runtime), rendered by VegaChart.
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

/** What the charts need of a day of fleet accuracy (app/monitoring/accuracy.server.ts FleetDay fits). */
export interface AccuracyDayInput {
  date: string;
  rmspe: number | null;
  cvRmspe: number | null;
  coverage: number | null;
  errorDays: number;
}

export interface AccuracyChartOptions {
  dark?: boolean;
  height?: number;
  /** The drift rule's ratio: the band's top is this times the CV RMSPE. */
  ratio?: number;
}

const pct = (x: number) => Math.round(x * 10_000) / 100;

/** Days with a realized error, as percentages for the axis (oldest first). */
export function accuracyPoints(days: readonly AccuracyDayInput[], ratio = 1.5) {
  return days
    .filter((d) => d.rmspe !== null && Number.isFinite(d.rmspe))
    .map((d) => ({
      date: d.date,
      realized: pct(d.rmspe!),
      cv: d.cvRmspe === null ? null : pct(d.cvRmspe),
      threshold: d.cvRmspe === null ? null : pct(d.cvRmspe * ratio),
      coverage: d.coverage === null ? null : pct(d.coverage),
      days: d.errorDays,
    }))
    .sort((a, b) => a.date.localeCompare(b.date));
}

const base = (opts: AccuracyChartOptions, description: string, title: string, subtitle: string) => ({
  $schema: "https://vega.github.io/schema/vega-lite/v6.json" as const,
  description,
  title: { text: title, subtitle, anchor: "start" as const },
  width: "container" as const,
  height: opts.height ?? 220,
  autosize: { type: "fit-x" as const, contains: "padding" as const },
  config: chartConfig(chartTheme(opts.dark ?? false)),
});

const DATE_X = {
  field: "date",
  type: "temporal" as const,
  title: "Day (UTC)",
  scale: { type: "utc" as const },
  axis: { format: "%d %b", labelOverlap: true, grid: false },
};

/** Realized RMSPE per day, the CV promise as a band up to the drift threshold; null with no day scored. */
export function realizedErrorSpec(
  days: readonly AccuracyDayInput[],
  opts: AccuracyChartOptions = {},
): TopLevelSpec | null {
  const ratio = opts.ratio ?? 1.5;
  const points = accuracyPoints(days, ratio);
  if (points.length === 0) return null;
  return {
    ...base(
      opts,
      `Fleet realized RMSPE per day over ${points.length} days, against the CV RMSPE of the versions scored`,
      "Realized forecast error",
      `RMSPE of the forecasts in production per day (%); band: CV RMSPE to ${ratio}x it (the drift threshold)`,
    ),
    data: { values: points },
    encoding: { x: DATE_X },
    layer: [
      {
        mark: { type: "area", opacity: 0.18, color: "#16a34a" },
        encoding: {
          y: { field: "cv", type: "quantitative", title: "RMSPE (%)", scale: { zero: true } },
          y2: { field: "threshold" },
        },
      },
      {
        mark: { type: "line", strokeDash: [4, 3], color: "#16a34a" },
        encoding: { y: { field: "cv", type: "quantitative" } },
      },
      {
        mark: { type: "line", point: true, color: "#2563eb" },
        encoding: {
          y: { field: "realized", type: "quantitative" },
          tooltip: [
            { field: "date", type: "temporal", title: "Day", format: "%Y-%m-%d", formatType: "utc" },
            { field: "realized", type: "quantitative", title: "Realized RMSPE (%)" },
            { field: "cv", type: "quantitative", title: "CV RMSPE (%)" },
            { field: "days", type: "quantitative", title: "Series-days counted" },
          ],
        },
      },
    ],
  };
}

/** Share of open days inside the 95% band per day, with the promised 95% as a rule. */
export function coverageSpec(days: readonly AccuracyDayInput[], opts: AccuracyChartOptions = {}): TopLevelSpec | null {
  const points = accuracyPoints(days, opts.ratio).filter((p) => p.coverage !== null);
  if (points.length === 0) return null;
  return {
    ...base(
      opts,
      `Interval coverage per day over ${points.length} days, against the promised 95%`,
      "Interval coverage",
      "share of open days whose actual fell inside the 95% band (%); rule: the promised 95%",
    ),
    layer: [
      {
        data: { values: points },
        mark: { type: "line", point: true, color: "#7c3aed" },
        encoding: {
          x: DATE_X,
          y: { field: "coverage", type: "quantitative", title: "Coverage (%)", scale: { domain: [0, 100] } },
          tooltip: [
            { field: "date", type: "temporal", title: "Day", format: "%Y-%m-%d", formatType: "utc" },
            { field: "coverage", type: "quantitative", title: "Inside the band (%)" },
          ],
        },
      },
      {
        data: { values: [{ promised: 95 }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#64748b" },
        encoding: { y: { field: "promised", type: "quantitative" } },
      },
    ],
  };
}
