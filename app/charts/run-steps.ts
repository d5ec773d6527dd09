/**
 * The run page's Gantt chart: each recorded step of one pipeline run as a bar from its start to its
 * end, in the order they started. A pure Vega-Lite spec builder (no DOM, no vega runtime).
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

/** A step as a run records it (`RunStep`): its start (ISO) and how long it took. */
export interface StepInput {
  name: string;
  startedAt: string;
  ms: number;
}

export interface StepBar {
  /** The bar's label: the step's name, numbered when a name repeats (a resumed run). */
  step: string;
  name: string;
  start: string;
  end: string;
  /** Seconds, rounded to the millisecond. */
  seconds: number;
  /** Seconds since the run's first step started. */
  offset: number;
}

/** Steps with a readable start and a duration, as bars in start order. */
export function stepBars(steps: readonly StepInput[]): StepBar[] {
  const valid = steps
    .map((s, i) => ({ s, i, start: Date.parse(s.startedAt) }))
    .filter(({ s, start }) => Number.isFinite(start) && Number.isFinite(s.ms) && s.ms >= 0)
    .sort((a, b) => a.start - b.start || a.i - b.i);
  if (valid.length === 0) return [];
  const origin = valid[0]!.start;
  const seen = new Map<string, number>();
  return valid.map(({ s, start }) => {
    const n = (seen.get(s.name) ?? 0) + 1;
    seen.set(s.name, n);
    return {
      step: n === 1 ? s.name : `${s.name} (${n})`,
      name: s.name,
      start: new Date(start).toISOString(),
      end: new Date(start + s.ms).toISOString(),
      seconds: Math.round(s.ms) / 1000,
      offset: Math.round(start - origin) / 1000,
    };
  });
}

export interface StepChartOptions {
  dark?: boolean;
}

/** The Gantt spec of a run's steps (null when it recorded none). */
export function runStepsSpec(steps: readonly StepInput[], opts: StepChartOptions = {}): TopLevelSpec | null {
  const bars = stepBars(steps);
  if (bars.length === 0) return null;
  const theme = chartTheme(opts.dark ?? false);
  const total = (Date.parse(bars.at(-1)!.end) - Date.parse(bars[0]!.start)) / 1000;
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `The run's ${bars.length} steps over time: ${bars.map((b) => `${b.step} ${b.seconds} s`).join(", ")}`,
    title: { text: "Steps", subtitle: `start to end, UTC (${bars.length} steps)`, anchor: "start" },
    width: "container",
    // One row per step, at least two rows' height.
    height: Math.max(2, bars.length) * 28,
    autosize: { type: "fit-x", contains: "padding" },
    data: { values: bars },
    // A step of a few milliseconds still shows as a sliver.
    mark: { type: "bar", cornerRadius: 2, color: theme.dark ? "#60a5fa" : "#1d4ed8", minBandSize: 2 },
    encoding: {
      y: { field: "step", type: "nominal", title: null, sort: bars.map((b) => b.step) },
      x: {
        field: "start",
        type: "temporal",
        title: total < 120 ? "Time (UTC, seconds)" : "Time (UTC)",
        scale: { type: "utc" },
        axis: { format: total < 120 ? "%H:%M:%S" : "%d %b %H:%M", labelOverlap: true, tickCount: 6 },
      },
      x2: { field: "end" },
      tooltip: [
        { field: "step", type: "nominal", title: "Step" },
        { field: "start", type: "temporal", title: "Started (UTC)", format: "%Y-%m-%d %H:%M:%S", formatType: "utc" },
        { field: "seconds", type: "quantitative", title: "Seconds" },
        { field: "offset", type: "quantitative", title: "Seconds after the first step" },
      ],
    },
    config: chartConfig(theme),
  };
}
