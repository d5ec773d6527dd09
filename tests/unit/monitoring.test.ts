import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { registry } from "../../app/platform/metrics.server.js";
import { ROOT } from "../support/processes.js";

// The Grafana provisioning and dashboard that docker-compose mounts, checked without Grafana (no
// Debian package): they parse, refer to each other, and query only metrics the app registers.
// tests/integration/prometheus.test.ts runs every query against a real Prometheus.
const read = (file: string) => readFileSync(path.join(ROOT, file), "utf8");

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos: { h: number; w: number; x: number; y: number };
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

  it("queries only metrics the app registers", async () => {
    const known = new Set<string>();
    for (const m of await registry.getMetricsAsJSON()) {
      known.add(m.name);
      if (String(m.type) === "histogram") for (const s of ["_bucket", "_sum", "_count"]) known.add(`${m.name}${s}`);
    }
    const names = panels
      .flatMap((p) => (p.targets ?? []).map((t) => t.expr))
      .concat(dashboard.templating.list.map((v) => v.query.query))
      .flatMap((e) => e.match(/\b(storecast_[a-z_]+|process_[a-z_]+|nodejs_[a-z0-9_]+)\b/g) ?? []);
    expect(names.length).toBeGreaterThan(30);
    for (const name of names) expect(known, name).toContain(name);
  });
});
