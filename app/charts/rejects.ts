/**
 * The Rejected records page's chart: rejects received per day (UTC), stacked by class. A pure
 * Vega-Lite spec builder (no DOM, no vega runtime), rendered by VegaChart.
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

/** What the chart needs: every day of the window, and the non-zero counts per day and class. */
export interface RejectsPerDayInput {
  days: readonly string[];
  counts: readonly { day: string; kind: string; count: number }[];
}

export interface RejectsChartOptions {
  dark?: boolean;
  height?: number;
}

/** A stacked bar per day (every day of the window on the axis, empty ones too); null with no reject at all. */
export function rejectsPerDaySpec(input: RejectsPerDayInput, opts: RejectsChartOptions = {}): TopLevelSpec | null {
  const counts = input.counts.filter((c) => c.count > 0 && input.days.includes(c.day));
  if (counts.length === 0) return null;
  const theme = chartTheme(opts.dark ?? false);
  const kinds = [...new Set(counts.map((c) => c.kind))].sort();
  const total = counts.reduce((n, c) => n + c.count, 0);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Rejected records per day over ${input.days.length} days: ${total} in all, by reason`,
    title: { text: "Rejected records per day", subtitle: "by reason, days in UTC", anchor: "start" },
    width: "container",
    height: opts.height ?? 200,
    autosize: { type: "fit-x", contains: "padding" },
    data: { values: counts.map((c) => ({ ...c })) },
    mark: { type: "bar", tooltip: true },
    encoding: {
      // Ordinal days: a day with no reject keeps its place instead of the bars closing ranks.
      x: {
        field: "day",
        type: "ordinal",
        title: "Day (UTC)",
        scale: { domain: [...input.days] },
        axis: { labelAngle: -45, labelExpr: "slice(datum.value, 5)" },
      },
      y: { field: "count", type: "quantitative", title: "Rejects", stack: "zero", axis: { tickMinStep: 1 } },
      color: { field: "kind", type: "nominal", title: "Reason", scale: { domain: kinds } },
      tooltip: [
        { field: "day", type: "ordinal", title: "Day (UTC)" },
        { field: "kind", type: "nominal", title: "Reason" },
        { field: "count", type: "quantitative", title: "Rejects" },
      ],
    },
    config: chartConfig(theme),
  };
}
