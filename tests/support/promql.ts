/**
 * Reads the series a PromQL expression selects, without Prometheus: enough to check that the
 * dashboard and the alert rules name only metrics (and labels) the app registers. Not a parser: it
 * relies on the queries keeping braces out of their label values, which tests/unit/monitoring.test.ts
 * checks. A bare identifier that is not a function, keyword or grouping label is taken as a metric
 * name, so a misspelt one of any prefix is caught.
 */
import type { Registry } from "prom-client";

/** PromQL's keywords and binary operators that read like identifiers. */
const KEYWORDS = new Set(["and", "or", "unless", "bool", "offset", "atan2", "inf", "nan", "start", "end"]);

export interface Selector {
  metric: string;
  labels: string[];
}

/** The series selectors of `expr`: each metric name with the label names its matchers use. */
export function selectors(expr: string): Selector[] {
  const text = expr
    // Quoted label values and regexes: their content is no name.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Grafana's variables ($instance, $__rate_interval, ${x}).
    .replace(/\$\{?\w+\}?/g, "0s")
    // Ranges and subqueries ([5m], [1h:1m]).
    .replace(/\[[^\]]*\]/g, " ")
    // Grouping and matching labels: sum by (le, route), on (), group_left (x).
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\b(group_left|group_right)\b/g, " ");
  const out: Selector[] = [];
  // A number (0.95, 1e3, 12h) is skipped by the first alternative; a name may carry a {matchers} block.
  const token = /\d[\w.]*|([a-zA-Z_:][\w:]*)?\s*(\{[^}]*\})?(\s*\()?/g;
  for (const m of text.matchAll(token)) {
    const [whole, name, braces, call] = m;
    if (whole.trim() === "") continue; // matchAll steps over empty matches itself
    if (call && !braces) continue; // a function or aggregation: sum(, rate(, vector(
    if (name === undefined && braces === undefined) continue;
    if (name !== undefined && KEYWORDS.has(name.toLowerCase()) && !braces) continue;
    const labels = [...(braces ?? "").matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1] as string);
    // {__name__="x"} and a bare {...} are not used here; a name is required.
    out.push({ metric: name ?? "", labels });
  }
  return out;
}

/** Series every Prometheus target has without the app exporting them. */
const SCRAPE_SERIES = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);
/** Labels Prometheus adds to every scraped series. */
const TARGET_LABELS = ["job", "instance"];

/**
 * The problems of `expr` against the metrics `registry` registers: a metric not exported, or a
 * label matcher on a label the metric does not have (a histogram's `_bucket` also has `le`).
 */
export function unknownSeries(expr: string, registry: Registry): string[] {
  const labelsOf = new Map<string, string[]>();
  for (const m of registry.getMetricsAsArray()) {
    const labels = [...((m as unknown as { labelNames?: string[] }).labelNames ?? []), ...TARGET_LABELS];
    labelsOf.set(m.name, labels);
    if (String(m.type) === "histogram" || String(m.type) === "summary") {
      labelsOf.set(`${m.name}_sum`, labels);
      labelsOf.set(`${m.name}_count`, labels);
      labelsOf.set(`${m.name}_bucket`, [...labels, "le"]);
    }
  }
  for (const name of SCRAPE_SERIES) labelsOf.set(name, TARGET_LABELS);
  const problems: string[] = [];
  for (const { metric, labels } of selectors(expr)) {
    const known = labelsOf.get(metric);
    if (!known) {
      problems.push(`${metric || "(no metric name)"} is not exported`);
      continue;
    }
    for (const label of labels) if (!known.includes(label)) problems.push(`${metric} has no label ${label}`);
  }
  return problems;
}
