/**
 * Colours and the Vega-Lite `config` shared by the app's charts, in a light and a dark variant
 * (the page follows the system setting; VegaChart tells a spec builder which one is active).
 * Pure data: no DOM, no vega runtime.
 */
import type { Config } from "vega-lite";

export interface ChartTheme {
  dark: boolean;
  text: string;
  muted: string;
  grid: string;
}

export function chartTheme(dark = false): ChartTheme {
  return dark
    ? { dark, text: "#e2e8f0", muted: "#94a3b8", grid: "#334155" }
    : { dark, text: "#0f172a", muted: "#475569", grid: "#e2e8f0" };
}

/** Axis, legend and title colours for the page's background; the chart itself is transparent. */
export function chartConfig(theme: ChartTheme): Config {
  return {
    background: "transparent",
    font: "ui-sans-serif, system-ui, sans-serif",
    title: { color: theme.text, subtitleColor: theme.muted, fontSize: 14 },
    axis: {
      labelColor: theme.text,
      titleColor: theme.text,
      gridColor: theme.grid,
      domainColor: theme.grid,
      tickColor: theme.grid,
    },
    legend: { labelColor: theme.text, titleColor: theme.text, orient: "bottom" },
    view: { stroke: null },
  };
}
