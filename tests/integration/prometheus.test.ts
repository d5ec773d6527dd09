import { execFile } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { registerVersion } from "../../app/registry/register.server.js";
import { registrySummary } from "../../app/registry/summary.server.js";
import { createScratchDatabase } from "../support/databases.js";
import {
  opsTools,
  PROMETHEUS_TOKEN_FILE,
  type PromSample,
  promQuery,
  type RunningProcess,
  renderPrometheusConfig,
  replaceOnce,
  startPrometheus,
  untilTrained,
} from "../support/ops-tools.js";
import { ROOT, type RunningServer, startServer, tempDir } from "../support/processes.js";
import { selectors } from "../support/promql.js";
import { newVersion } from "../support/registry-cases.js";

// The production server (embedded defaults, the small generated data set, trained on start) and a
// real Prometheus (Debian's) scraping it every second with monitoring/prometheus.yml.
/** A day this many days after today (the generated data ends yesterday: inside the forecast window). */
const fromToday = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
const SMALL_DATA = { GENERATE_STORES: "6", GENERATE_DAYS: "60", GENERATE_SEED: "7" };
// The app serves /metrics only with this Bearer token; Prometheus reads it from a file.
const METRICS_TOKEN = "prometheus-test-token-0123456789";
const run = promisify(execFile);

interface Dashboard {
  uid: string;
  templating: { list: { name: string; datasource?: { uid: string } }[] };
  panels: { type: string; title: string; datasource?: { uid: string }; targets?: { expr: string }[] }[];
}
const DASHBOARD_FILE = path.join(ROOT, "monitoring/grafana/dashboards/storecast.json");

/** A dashboard query as Prometheus gets it from Grafana: variables filled in. */
const fromGrafana = (expr: string) => expr.replaceAll("$__rate_interval", "15s").replaceAll("$instance", ".*");

describe("Prometheus scraping the running app", () => {
  let app: RunningServer;
  let prom: RunningProcess;

  /** Polls an instant query until `ok` holds for its result (Prometheus scrapes every second). */
  const queryUntil = async (
    query: string,
    ok: (samples: PromSample[]) => boolean,
    limitMs = 30_000,
  ): Promise<PromSample[]> => {
    const deadline = Date.now() + limitMs;
    let last: PromSample[] = [];
    for (;;) {
      last = await promQuery(prom.url, query);
      if (ok(last)) return last;
      if (Date.now() > deadline)
        throw new Error(`${query}: not as expected after ${limitMs} ms: ${JSON.stringify(last)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const num = (s: PromSample | undefined) => Number(s?.value[1] ?? Number.NaN);
  const atLeast = (n: number) => (samples: PromSample[]) => samples.length > 0 && num(samples[0]) >= n;

  const post = (p: string, body?: unknown) =>
    fetch(`${app.url}${p}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  beforeAll(async () => {
    await opsTools();
    const dataDir = tempDir("prometheus-app");
    app = await startServer({
      PGLITE_DIR: `${dataDir}/pglite`,
      DATA_DIR: dataDir,
      ...SMALL_DATA,
      // The in-process producer: a record every 200 ms, so the ingest counters move.
      STREAM_INTERVAL_MS: "200",
      METRICS_TOKEN,
    });
    await untilTrained(app.url);
    prom = await startPrometheus(new URL(app.url).host, METRICS_TOKEN);
  });
  afterAll(async () => {
    await prom?.stop();
    await app?.stop("SIGKILL");
  });

  it("the project's configuration passes promtool, and the local run changes only target, token file and interval", async () => {
    const { promtool } = await opsTools();
    // promtool checks that the token file exists: the file as compose mounts it, with a local token file.
    const dir = tempDir("promtool");
    const file = path.join(ROOT, "monitoring/prometheus.yml");
    writeFileSync(path.join(dir, "token"), "x");
    const copy = path.join(dir, "prometheus.yml");
    writeFileSync(copy, replaceOnce(readFileSync(file, "utf8"), PROMETHEUS_TOKEN_FILE, path.join(dir, "token"), file));
    // Its rule file sits beside it, as compose mounts them.
    copyFileSync(path.join(ROOT, "monitoring/alerts.yml"), path.join(dir, "alerts.yml"));
    const { stdout } = await run(promtool, ["check", "config", copy]);
    expect(stdout).toContain("SUCCESS");
    expect(stdout).toMatch(/alerts\.yml\s+SUCCESS: \d+ rules found/);
    const local = parse(renderPrometheusConfig("127.0.0.1:1", "/tmp/t")) as {
      scrape_configs: Record<string, unknown>[];
    };
    expect(local.scrape_configs).toEqual([
      {
        job_name: "storecast",
        metrics_path: "/metrics",
        authorization: { type: "Bearer", credentials_file: "/tmp/t" },
        static_configs: [{ targets: ["127.0.0.1:1"] }],
      },
    ]);
  });

  it("the forecast monitoring alerts pass promtool's rule check and their unit tests, and Prometheus loads them", async () => {
    const { promtool } = await opsTools();
    const rules = path.join(ROOT, "monitoring/alerts.yml");
    expect((await run(promtool, ["check", "rules", rules])).stdout).toMatch(/SUCCESS: \d+ rules found/);
    // Each alert fires on the series it is meant for and stays quiet otherwise (monitoring/alerts.test.yml).
    const tested = await run(promtool, ["test", "rules", path.join(ROOT, "monitoring/alerts.test.yml")]);
    expect(tested.stdout).toContain("SUCCESS");
    const loaded = (await (await fetch(`${prom.url}/api/v1/rules?type=alert`)).json()) as {
      data: { groups: { name: string; rules: { name: string; health: string }[] }[] };
    };
    const group = loaded.data.groups.find((g) => g.name === "storecast-forecast-accuracy");
    expect(group?.rules.map((r) => r.name)).toContain("StorecastForecastAccuracyDegraded");
    expect(group?.rules.every((r) => r.health !== "err")).toBe(true);
  });

  it("the app answers /metrics only with the token, which Prometheus sends", async () => {
    const plain = await fetch(`${app.url}/metrics`);
    expect(plain.status).toBe(401);
    expect(await plain.json()).toMatchObject({ details: { field: "Authorization" } });
    expect((await fetch(`${app.url}/metrics`, { headers: { Authorization: "Bearer wrong-token" } })).status).toBe(401);
    const withToken = await fetch(`${app.url}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toContain("process_cpu_seconds_total");
    // Prometheus sends it: the target is up (a 401 would make it 0).
    await queryUntil('up{job="storecast"}', atLeast(1));
  });

  it("scrapes the app: it is up, with the default process metrics", async () => {
    const up = await queryUntil('up{job="storecast"}', atLeast(1));
    expect(up[0]?.metric.instance).toBe(new URL(app.url).host);
    expect(num((await queryUntil("process_cpu_seconds_total", atLeast(0)))[0])).toBeGreaterThan(0);
    expect(num((await queryUntil("process_resident_memory_bytes", atLeast(1)))[0])).toBeGreaterThan(10_000_000);
    await queryUntil("nodejs_eventloop_lag_p99_seconds", (s) => s.length === 1);
  });

  it("times HTTP requests by route pattern, method and status", async () => {
    const body = { begin: fromToday(30), end: fromToday(36) };
    const forecasts = async () => {
      for (const store of [1, 2, 3]) expect((await post(`/api/forecasts/${store}/product_A`, body)).status).toBe(200);
    };
    await forecasts();
    expect((await fetch(`${app.url}/api/stores/999999`)).status).toBe(404);
    await (await fetch(app.url)).text();

    const q =
      'storecast_http_request_duration_seconds_count{route="/api/forecasts/:store/:product",method="POST",status="200"}';
    await queryUntil(q, atLeast(3));
    // A rate needs the series scraped before some of the requests too.
    await forecasts();
    await queryUntil(q, atLeast(6));
    await queryUntil(
      'storecast_http_request_duration_seconds_count{route="/api/stores/:store",status="404"}',
      atLeast(1),
    );
    await queryUntil('storecast_http_request_duration_seconds_count{route="/",method="GET",status="200"}', atLeast(1));
    // Route labels are patterns: no store number or id ever becomes one.
    const routes = (await promQuery(prom.url, "count by (route) (storecast_http_request_duration_seconds_count)")).map(
      (s) => s.metric.route ?? "",
    );
    expect(routes).toContain("/api/forecasts/:store/:product");
    for (const route of routes) expect(route).toMatch(/^(\/([a-z_.-]+|:[a-z]+|\*)?)+$|^static$/);
    // The latency quantile a dashboard draws.
    const p95 = await promQuery(
      prom.url,
      'histogram_quantile(0.95, sum by (le) (rate(storecast_http_request_duration_seconds_bucket{route="/api/forecasts/:store/:product"}[1m])))',
    );
    expect(num(p95[0])).toBeGreaterThan(0);
  });

  it("counts the stream's records as the consumer ingests them", async () => {
    const first = num((await queryUntil("storecast_stream_records_ingested_total", atLeast(1)))[0]);
    await queryUntil("storecast_stream_records_ingested_total", atLeast(first + 1));
    // Every reject class is exported from the start.
    const rejects = await promQuery(prom.url, "storecast_stream_records_rejected_total");
    expect(rejects.map((s) => s.metric.reason)).toEqual(expect.arrayContaining(["not_json", "invalid_field"]));
    await queryUntil("storecast_stream_consumer_lag", (s) => s.length === 1 && num(s[0]) >= 0);
    await queryUntil("storecast_stream_batch_duration_seconds_count", atLeast(1));
  });

  it("shows the initial training, then a retrain: series, durations, runs and jobs", async () => {
    await queryUntil('storecast_series_trained_total{result="trained"}', atLeast(6));
    await queryUntil("storecast_training_duration_seconds_count", atLeast(6));
    await queryUntil('storecast_pipeline_run_duration_seconds_count{kind="train-all",status="SUCCEEDED"}', atLeast(1));
    await queryUntil('storecast_jobs_total{kind="train-all",status="SUCCEEDED"}', atLeast(1));
    const median = await promQuery(
      prom.url,
      "histogram_quantile(0.5, sum by (le) (storecast_training_duration_seconds_bucket))",
    );
    expect(num(median[0])).toBeGreaterThan(0);

    const trainedBefore = num((await promQuery(prom.url, 'storecast_series_trained_total{result="trained"}'))[0]);
    const retrain = await post("/api/models/2/product_A/retrain");
    expect(retrain.status).toBe(202);
    await queryUntil('storecast_jobs_total{kind="train-one",status="SUCCEEDED"}', atLeast(1));
    await queryUntil('storecast_series_trained_total{result="trained"}', atLeast(trainedBefore + 1));
    await queryUntil('storecast_pipeline_run_duration_seconds_count{kind="retrain",status="SUCCEEDED"}', atLeast(1));
    await queryUntil('storecast_job_duration_seconds_count{kind="train-one",status="SUCCEEDED"}', atLeast(1));
  });

  it("reads the queue depth and the production models' CV error at each scrape", async () => {
    const depth = await queryUntil("storecast_job_queue_depth", (s) => s.length === 3);
    expect(depth.map((s) => s.metric.state).sort()).toEqual(["delayed", "running", "waiting"]);
    await queryUntil('storecast_models_in_production{cv="yes"}', atLeast(6));
    const rmspe = await queryUntil('storecast_model_cv_error{metric="rmspe"}', (s) => s.length === 4);
    const byQuantile = Object.fromEntries(rmspe.map((s) => [s.metric.quantile, num(s)]));
    expect(byQuantile["0.5"]).toBeGreaterThan(0);
    expect(byQuantile["0.5"]).toBeLessThanOrEqual(byQuantile["0.9"]!);
    expect(byQuantile["0.99"]).toBeLessThanOrEqual(byQuantile["1"]!);
  });

  it("times ad-hoc forecasts by outcome", async () => {
    await queryUntil('storecast_forecast_duration_seconds_count{outcome="ok"}', atLeast(3));
    // A range of more than 365 days (inside the forecast window) is refused inside the forecast: an error outcome.
    expect((await post("/api/forecasts/1/product_A", { begin: fromToday(10), end: fromToday(400) })).status).toBe(400);
    await queryUntil('storecast_forecast_duration_seconds_count{outcome="error"}', atLeast(1));
  });

  it("every query of the Grafana dashboard is valid PromQL on metrics the app exports, and the main panels have data", async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as Dashboard;
    // storecast_anomalous_stores is absent until the first anomaly scan: run one (6 stores are too
    // few peers to compare, so it finds none, a 0).
    expect((await post("/api/anomalies")).status).toBe(202);
    await queryUntil("storecast_anomalous_stores", (s) => s.length === 1 && num(s[0]) === 0);
    const exported = new Set(
      (await promQuery(prom.url, 'count by (__name__) ({job="storecast"})')).map((s) => s.metric.__name__),
    );
    const empty: string[] = [];
    let queries = 0;
    for (const panel of dashboard.panels.filter((p) => p.type !== "row")) {
      for (const target of panel.targets ?? []) {
        queries++;
        // Every series name the query mentions is one the app exports (a typo would show nothing).
        for (const { metric } of selectors(target.expr))
          expect(exported, `${panel.title}: ${metric}`).toContain(metric);
        const samples = await promQuery(prom.url, fromGrafana(target.expr)); // throws on invalid PromQL
        if (samples.length === 0) empty.push(`${panel.title}: ${target.expr}`);
      }
    }
    expect(queries).toBeGreaterThan(25);
    // What has no data here: nothing failed or was rejected, no 5xx, no failed batch.
    const mayBeEmpty = [/5xx|status=~"\[45\]|outcome="error"|failures_total|rejected_total|storecast_jobs_total/];
    expect(empty.filter((e) => !mayBeEmpty.some((re) => re.test(e)))).toEqual([]);
  });
});

describe.runIf(process.env.DATABASE_URL)("the model-error gauges' query on Postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_metrics");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it("returns the production models' count and CV error quantiles as numbers", async () => {
    expect(await registrySummary(db)).toEqual({ models: 0, validated: 0, rmspe: [], mape: [] });
    for (let i = 1; i <= 4; i++) {
      const cv = { folds: [], mean: { rmse: 1, mape: i / 10, mae: 1, mdae: 1, rmspe: i / 100 } };
      await registerVersion(db, newVersion(i, "product_A", 1, { cv }));
    }
    await registerVersion(db, newVersion(5, "product_A", 1, { cv: null }));
    const summary = await registrySummary(db);
    expect(summary.models).toBe(5);
    expect(summary.validated).toBe(4);
    expect(summary.rmspe.map(([q]) => q)).toEqual([0.5, 0.9, 0.99, 1]);
    expect(summary.rmspe[0]?.[1]).toBeCloseTo(0.025, 10);
    expect(summary.rmspe[3]?.[1]).toBeCloseTo(0.04, 10);
    expect(summary.mape[3]?.[1]).toBeCloseTo(0.4, 10);
  });
});
