/**
 * The Pipelines page's chart: how long each finished pipeline run took, over time, one colour per
 * run kind. A pure Vega-Lite spec builder (no DOM, no vega runtime), rendered by VegaChart.
 */
import type { TopLevelSpec } from "vega-lite";
import { chartConfig, chartTheme } from "./theme.js";

/** What the chart needs of a pipeline run (a PipelineRunRecord fits; dates may arrive as strings). */
export interface RunDurationInput {
  id: number;
  kind: string;
  status: string;
  startedAt: Date | string | null;
  durationMs: number | null;
}

export interface RunDurationPoint {
  id: number;
  kind: string;
  status: string;
  /** ISO timestamp of the start. */
  started: string;
  /** Duration in the chart's unit (see `unit`). */
  duration: number;
}

export interface RunDurationData {
  points: RunDurationPoint[];
  /** Seconds while every run is under 10 minutes, minutes beyond: the axis stays readable. */
  unit: "s" | "min";
}

const MINUTES_FROM_MS = 10 * 60_000;
const MIN_TIME_PAD_MS = 30 * 60_000;

function isoOf(value: Date | string | null): string | null {
  if (value === null) return null;
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Finished runs (a start and a duration) as chart points, oldest first. */
export function runDurationData(runs: readonly RunDurationInput[]): RunDurationData {
  const finished: { run: RunDurationInput; started: string; ms: number }[] = [];
  for (const run of runs) {
    const started = isoOf(run.startedAt);
    const ms = run.durationMs;
    if (started === null || ms === null || !Number.isFinite(ms) || ms < 0) continue;
    finished.push({ run, started, ms });
  }
  finished.sort((a, b) => a.started.localeCompare(b.started) || a.run.id - b.run.id);
  const unit = finished.some((f) => f.ms >= MINUTES_FROM_MS) ? "min" : "s";
  const divisor = unit === "min" ? 60_000 : 1000;
  return {
    unit,
    points: finished.map(({ run, started, ms }) => ({
      id: run.id,
      kind: run.kind,
      status: run.status,
      started,
      duration: Math.round((ms / divisor) * 100) / 100,
    })),
  };
}

export interface RunDurationChartOptions {
  /** Dark page background: light text and grid (VegaChart passes the system setting). */
  dark?: boolean;
  height?: number;
}

/**
 * The Vega-Lite spec of run durations over time (null when no run has finished yet): a line and
 * points per run kind, failed and stopped runs drawn as other shapes, a tooltip per run.
 */
export function runDurationSpec(
  runs: readonly RunDurationInput[],
  opts: RunDurationChartOptions = {},
): TopLevelSpec | null {
  const { points, unit } = runDurationData(runs);
  if (points.length === 0) return null;
  const unitName = unit === "s" ? "seconds" : "minutes";
  const theme = chartTheme(opts.dark ?? false);
  const kinds = [...new Set(points.map((p) => p.kind))].sort();
  // Runs started close together (or one run) would give a zero-width time axis labelled in
  // milliseconds: widen it a little either side.
  const first = Date.parse(points[0]!.started);
  const last = Date.parse(points[points.length - 1]!.started);
  const pad = Math.max((last - first) * 0.03, MIN_TIME_PAD_MS);
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    description: `Pipeline run durations over time: ${points.length} finished runs of ${kinds.join(", ")}`,
    title: { text: "Pipeline run durations", subtitle: `duration in ${unitName}, by start time`, anchor: "start" },
    width: "container",
    height: opts.height ?? 240,
    autosize: { type: "fit-x", contains: "padding" },
    data: { values: points },
    encoding: {
      // UTC, as the runs table prints times: server and viewer may be in different zones.
      x: {
        field: "started",
        type: "temporal",
        title: "Started (UTC)",
        scale: { type: "utc", domain: [first - pad, last + pad] },
        // 24-hour labels (in UTC, as the scale is): the default multi-format shows 15:30 as "03:30".
        axis: { tickCount: 6, labelOverlap: true, grid: false, format: "%d %b %H:%M" },
      },
      y: { field: "duration", type: "quantitative", title: `Duration (${unit})`, scale: { zero: true } },
      color: { field: "kind", type: "nominal", title: "Kind", scale: { domain: kinds } },
    },
    layer: [
      { mark: { type: "line", strokeWidth: 1.5, opacity: 0.6 } },
      {
        mark: { type: "point", filled: true, size: 60 },
        encoding: {
          shape: {
            field: "status",
            type: "nominal",
            title: "Status",
            scale: { domain: ["SUCCEEDED", "FAILED", "STOPPED"], range: ["circle", "cross", "square"] },
            // The shape legend has no colour of its own: draw it in the page's text colour.
            legend: { symbolFillColor: theme.muted, symbolStrokeColor: theme.muted },
          },
          tooltip: [
            { field: "id", type: "quantitative", title: "Run" },
            { field: "kind", type: "nominal", title: "Kind" },
            { field: "status", type: "nominal", title: "Status" },
            {
              field: "started",
              type: "temporal",
              title: "Started (UTC)",
              format: "%Y-%m-%d %H:%M:%S",
              formatType: "utc",
            },
            { field: "duration", type: "quantitative", title: `Duration (${unit})` },
          ],
        },
      },
    ],
    config: chartConfig(theme),
  };
}
