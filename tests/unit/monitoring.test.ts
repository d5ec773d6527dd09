import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { registry } from "../../app/platform/metrics.server.js";
// The forecast-monitoring gauges register themselves on the registry when their module loads.
import "../../app/monitoring/metrics.server.js";
import { ROOT } from "../support/processes.js";
import { selectors, unknownSeries } from "../support/promql.js";

// The Grafana provisioning and dashboard that docker-compose mounts, checked without Grafana (no
// Debian package): they parse, refer to each other, and query only metrics the app registers; so do
// the alert rules (monitoring/alerts.yml).
// tests/integration/prometheus.test.ts runs every query against a real Prometheus.
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  fieldConfig?: { defaults: { unit?: string; thresholds?: { steps: { color: string; value: number | null }[] } } };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
}

const dashboard = JSON.parse(read("monitoring/grafana/dashboards/storecast.json")) as {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; datasource?: { uid: string }; query: { query: string } }[] };
};

describe("Grafana provisioning", () => {
  const datasources = parse(read("monitoring/grafana/provisioning/datasources/prometheus.yml")) as {
    apiVersion: number;
    datasources: { name: string; uid: string; type: string; url: string; isDefault: boolean }[];
  };
  const providers = parse(read("monitoring/grafana/provisioning/dashboards/dashboards.yml")) as {
    apiVersion: number;
    providers: { type: string; options: { path: string } }[];
  };

  it("provisions the compose Prometheus as the default datasource", () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ type: "prometheus", uid: "storecast-prometheus", url: "http://prometheus:9090" }),
    ]);
    expect(datasources.datasources[0]?.isDefault).toBe(true);
  });

  it("loads dashboards from the directory docker-compose mounts", () => {
    expect(providers.apiVersion).toBe(1);
    expect(providers.providers).toEqual([
      expect.objectContaining({ type: "file", options: { path: "/var/lib/grafana/dashboards" } }),
    ]);
    const compose = read("docker-compose.yml");
    expect(compose).toContain("./monitoring/grafana/dashboards:/var/lib/grafana/dashboards");
    expect(compose).toContain("./monitoring/grafana/provisioning:/etc/grafana/provisioning");
    expect(compose).toContain("./monitoring/prometheus.yml:/etc/prometheus/prometheus.yml");
    expect(compose).toContain("./nginx/nginx.conf:/etc/nginx/nginx.conf");
  });

  it("every panel and query of the dashboard uses that datasource", () => {
    const uid = datasources.datasources[0]?.uid;
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      expect(panel.datasource?.uid, panel.title).toBe(uid);
      for (const t of panel.targets ?? []) expect(t.datasource?.uid, panel.title).toBe(uid);
    }
    for (const variable of dashboard.templating.list) expect(variable.datasource?.uid).toBe(uid);
  });
});

describe("the storecast dashboard", () => {
  const panels = dashboard.panels;

  it("has a stable uid, unique panel ids and a grid without overlaps", () => {
    expect(dashboard.uid).toBe("storecast");
    expect(new Set(panels.map((p) => p.id)).size).toBe(panels.length);
    const cells = new Set<string>();
    for (const p of panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
        for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
          expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
          cells.add(`${x},${y}`);
        }
      }
    }
  });

  it("shows what the issue asks for: ingest rate and lag, training, API latency and errors, queue depth, model error", () => {
    const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join("\n");
    for (const name of [
      "storecast_stream_records_ingested_total",
      "storecast_stream_consumer_lag",
      "storecast_training_duration_seconds_bucket",
      "storecast_series_trained_total",
      "storecast_http_request_duration_seconds_bucket",
      'status=~"5.."',
      "storecast_job_queue_depth",
      "storecast_model_cv_error",
    ]) {
      expect(exprs).toContain(name);
    }
  });

  it("queries only metrics the app registers, with labels they have", () => {
    const exprs = panels
      .flatMap((p) => (p.targets ?? []).map((t) => [p.title, t.expr] as const))
      // Grafana's label_values(selector, label): the selector is PromQL.
      .concat(
        dashboard.templating.list.map((v) => [v.name, v.query.query.replace(/^label_values\((.*),\s*\w+\)$/, "$1")]),
      );
    expect(exprs.flatMap(([, e]) => selectors(e)).length).toBeGreaterThan(45);
    for (const [title, expr] of exprs) expect(unknownSeries(expr, registry), `${title}: ${expr}`).toEqual([]);
  });

  it("the check catches a misspelt metric of any prefix, a histogram suffix on a gauge and a label the metric lacks", () => {
    expect(unknownSeries('max(storecast_realised_rmspe{window="7d"})', registry)).toEqual([
      "storecast_realised_rmspe is not exported",
    ]);
    expect(unknownSeries("sum(rate(storcast_forecast_days_scored_total[5m]))", registry)).toHaveLength(1);
    expect(unknownSeries("storecast_degraded_series_count", registry)).toHaveLength(1);
    expect(unknownSeries('storecast_auto_retrains_total{result="worse"}', registry)).toEqual([
      "storecast_auto_retrains_total has no label result",
    ]);
    // Functions, keywords, numbers, grouping labels and Grafana variables are no metric names.
    expect(
      unknownSeries(
        'histogram_quantile(0.9, sum by (le, kind) (rate(storecast_job_duration_seconds_bucket{instance=~"$instance"}[$__rate_interval]))) > 1e3 or on() vector(0)',
        registry,
      ),
    ).toEqual([]);
  });
});

describe("the dashboard's forecast accuracy and drift row", () => {
  const rowIndex = dashboard.panels.findIndex((p) => p.type === "row" && p.title === "Forecast accuracy and drift");
  const nextRow = dashboard.panels.findIndex((p, i) => i > rowIndex && p.type === "row");
  const row = dashboard.panels.slice(rowIndex + 1, nextRow);
  const querying = (metric: string) =>
    row.filter((p) => (p.targets ?? []).some((t) => selectors(t.expr).some((s) => s.metric === metric)));

  it("shows every forecast monitoring metric the app exports, each panel explained", () => {
    expect(rowIndex).toBeGreaterThan(0);
    for (const metric of [
      "storecast_realized_rmspe",
      "storecast_realized_interval_coverage",
      "storecast_realized_vs_cv_ratio",
      "storecast_forecast_days_scored_total",
      "storecast_degraded_series",
      "storecast_anomalous_stores",
      "storecast_auto_retrains_total",
    ]) {
      expect(querying(metric).length, metric).toBeGreaterThan(0);
    }
    for (const p of row) {
      expect(p.description?.length, p.title).toBeGreaterThan(60);
      expect(p.fieldConfig?.defaults.unit, p.title).toBeTruthy();
      // The realized gauges carry only window="7d": a query without it would mix in any later window.
      for (const t of p.targets ?? [])
        if (t.expr.includes("storecast_realized_")) expect(t.expr, p.title).toContain('window="7d"');
    }
  });

  it("colours coverage red below 90% and green from the promised 95%, and the realized/CV ratio red from the alert's 1.5x", () => {
    const colourAt = (p: Panel, value: number) =>
      (p.fieldConfig?.defaults.thresholds?.steps ?? []).filter((s) => s.value === null || s.value <= value).at(-1)
        ?.color;
    const coverage = querying("storecast_realized_interval_coverage");
    const ratio = querying("storecast_realized_vs_cv_ratio");
    expect(coverage.length).toBeGreaterThan(0);
    for (const p of coverage) {
      expect(p.fieldConfig?.defaults.unit).toBe("percentunit");
      expect([colourAt(p, 0.85), colourAt(p, 0.89), colourAt(p, 0.92), colourAt(p, 0.95)]).toEqual([
        "red",
        "red",
        "orange",
        "green",
      ]);
    }
    // Red where StorecastForecastAccuracyDegraded's line is.
    const alert = read("monitoring/alerts.yml").match(/storecast_realized_vs_cv_ratio\{[^}]*\}\) > ([\d.]+)/)?.[1];
    expect(alert).toBe("1.5");
    expect(ratio.length).toBeGreaterThan(0);
    for (const p of ratio)
      expect([colourAt(p, 1), colourAt(p, 1.49), colourAt(p, 1.5)]).toEqual(["green", "orange", "red"]);
  });
});

describe("monitoring/alerts.yml", () => {
  const rules = parse(read("monitoring/alerts.yml")) as { groups: { rules: { alert: string; expr: string }[] }[] };
  const unitTests = parse(read("monitoring/alerts.test.yml")) as {
    tests: { input_series: { series: string }[]; promql_expr_test?: { expr: string }[] }[];
  };

  it("every rule queries only metrics the app registers, with labels they have", () => {
    const all = rules.groups.flatMap((g) => g.rules);
    expect(all.length).toBeGreaterThan(5);
    for (const rule of all) {
      expect(selectors(rule.expr).length, rule.alert).toBeGreaterThan(0);
      expect(unknownSeries(rule.expr, registry), rule.alert).toEqual([]);
    }
  });

  it("its unit tests feed the rules series the app exports (a shared typo would pass promtool)", () => {
    const series = unitTests.tests.flatMap((t) => [
      ...t.input_series.map((s) => s.series),
      ...(t.promql_expr_test ?? []).map((e) => e.expr),
    ]);
    expect(series.length).toBeGreaterThan(5);
    for (const s of series) expect(unknownSeries(s, registry), s).toEqual([]);
  });
});
