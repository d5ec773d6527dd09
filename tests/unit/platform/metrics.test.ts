import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { ServerBuild } from "@remix-run/node";
import express from "express";
import type { MetricObjectWithValues, MetricValue } from "prom-client";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseDay } from "../../../app/days.js";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import type { JobQueue, JobStatus } from "../../../app/jobs/port.js";
import { latestAnomalousCount, scanAnomalies } from "../../../app/monitoring/anomalies.server.js";
import { PipelineRun } from "../../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import {
  COLLECT_TIMEOUT_MS,
  recordSeries,
  registry,
  setMetricSources,
  timeAdhocForecast,
} from "../../../app/platform/metrics.server.js";
import { registerVersion } from "../../../app/registry/register.server.js";
import { registrySummary } from "../../../app/registry/summary.server.js";
import {
  httpMetricsMiddleware,
  labelRoute,
  methodLabel,
  metricsEndpoint,
  routePatterns,
  STATIC_ROUTE,
} from "../../../app/server/http-metrics.server.js";
import { instrumentJobHandlers } from "../../../app/server/job-metrics.server.js";
import { handlers } from "../../support/queue-cases.js";
import { newVersion } from "../../support/registry-cases.js";
import { waitFor as waitForWithin } from "../../support/stream-cases.js";

type Labels = Record<string, string | number>;

const waitFor = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000) =>
  waitForWithin(what, check, timeoutMs);

/** The value of one series (a histogram's `_count`, `_sum` or `_bucket` through `sample`), or undefined. */
async function value(name: string, labels: Labels = {}, sample?: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = (await metric.get()) as MetricObjectWithValues<MetricValue<string>>;
  const found = values.find(
    (v) =>
      (sample === undefined || (v as { metricName?: string }).metricName === `${name}${sample}`) &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === String(want)),
  );
  return found?.value;
}

const count = async (name: string, labels: Labels) => (await value(name, labels, "_count")) ?? 0;

/** The route manifest as Remix's flat routes name them (a subset of app/routes, plus a pathless layout). */
const MANIFEST = {
  root: { id: "root", path: "" },
  "routes/_index": { id: "routes/_index", parentId: "root", index: true },
  "routes/$": { id: "routes/$", parentId: "root", path: "*" },
  "routes/api.$": { id: "routes/api.$", parentId: "root", path: "api/*" },
  "routes/api.forecasts.$store.$product": {
    id: "routes/api.forecasts.$store.$product",
    parentId: "root",
    path: "api/forecasts/:store/:product",
  },
  "routes/api.jobs.$id": { id: "routes/api.jobs.$id", parentId: "root", path: "api/jobs/:id" },
  "routes/api.jobs.$id.events": { id: "routes/api.jobs.$id.events", parentId: "root", path: "api/jobs/:id/events" },
  "routes/api.openapi[.json]": { id: "routes/api.openapi[.json]", parentId: "root", path: "api/openapi.json" },
  "routes/models.$store.$product": {
    id: "routes/models.$store.$product",
    parentId: "root",
    path: "models/:store/:product",
  },
  "routes/_admin": { id: "routes/_admin", parentId: "root" },
  "routes/_admin.runs.$id": { id: "routes/_admin.runs.$id", parentId: "routes/_admin", path: "runs/:id" },
} as unknown as ServerBuild["routes"];

describe("route labels", () => {
  const patternOf = routePatterns(MANIFEST);

  it("maps request paths to their route patterns, never to the ids in them", () => {
    expect(patternOf("/")).toBe("/");
    expect(patternOf("/api/forecasts/262/product_A")).toBe("/api/forecasts/:store/:product");
    expect(patternOf("/api/jobs/4f0c9a3e-1b7d-4a5e-9d0f-2c6b8e1a7f33")).toBe("/api/jobs/:id");
    expect(patternOf("/api/jobs/4f0c9a3e/events")).toBe("/api/jobs/:id/events");
    expect(patternOf("/api/openapi.json")).toBe("/api/openapi.json");
    expect(patternOf("/runs/17")).toBe("/runs/:id");
    expect(patternOf("/api/no/such/endpoint")).toBe("/api/*");
    expect(patternOf("/no/such/page")).toBe("/*");
  });

  it("counts single-fetch data requests as their page's route", () => {
    expect(patternOf("/_root.data")).toBe("/");
    expect(patternOf("/models/262/product_A.data")).toBe("/models/:store/:product");
    expect(patternOf("/__manifest")).toBe("/__manifest");
  });

  it("keeps the label set bounded whatever the paths", () => {
    const labels = new Set<string>();
    for (let i = 0; i < 2_000; i++) {
      labels.add(patternOf(`/api/forecasts/${i}/product_${i % 7}`));
      labels.add(patternOf(`/api/jobs/${i.toString(36)}/events`));
      labels.add(patternOf(`/random/${i}/${"x".repeat(i % 50)}`));
      labels.add(patternOf(`/api/%2e%2e/${i}`));
    }
    expect([...labels].sort()).toEqual(["/*", "/api/*", "/api/forecasts/:store/:product", "/api/jobs/:id/events"]);
  });

  it("names a bounded set of methods", () => {
    expect(["get", "POST", "delete", "PROPFIND", "BREW"].map(methodLabel)).toEqual([
      "GET",
      "POST",
      "DELETE",
      "other",
      "other",
    ]);
  });
});

describe("the HTTP middleware and GET /metrics on a real Express server", () => {
  let server: Server;
  let base: string;
  const hanging = new Set<express.Response>();

  beforeAll(async () => {
    const app = express();
    app.use(httpMetricsMiddleware(() => routePatterns(MANIFEST)));
    app.get("/metrics", metricsEndpoint);
    app.get("/assets/app.js", (_req, res) => {
      labelRoute(res, STATIC_ROUTE);
      res.type("js").send("1");
    });
    app.get("/api/forecasts/:store/:product", (req, res) => {
      if (req.params.store === "0") res.status(404).json({ error: "unknown store 0" });
      else res.json({ ok: true });
    });
    // Never answers: the client gives up.
    app.get("/api/jobs/:id", (_req, res) => {
      hanging.add(res);
    });
    app.use("/api", (req, res) => {
      res.status(413).json({ error: `too large: ${req.url}` });
    });
    server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const res of hanging) res.destroy();
    await new Promise((r) => server.close(r));
  });

  const http = "storecast_http_request_duration_seconds";

  it("times requests by route pattern, method and status", async () => {
    const ok = { route: "/api/forecasts/:store/:product", method: "GET", status: "200" };
    const missing = { ...ok, status: "404" };
    const [okBefore, missingBefore] = [await count(http, ok), await count(http, missing)];
    for (const store of [1, 2, 3]) expect((await fetch(`${base}/api/forecasts/${store}/product_A`)).status).toBe(200);
    expect((await fetch(`${base}/api/forecasts/0/product_A`)).status).toBe(404);
    await waitFor("the requests to be counted", async () => (await count(http, ok)) === okBefore + 3);
    expect(await count(http, missing)).toBe(missingBefore + 1);
    expect(await value(http, { route: "/api/forecasts/1/product_A" }, "_count")).toBeUndefined();
  });

  it("labels static files, and keeps the full path when mounted middleware answers", async () => {
    const before = await count(http, { route: STATIC_ROUTE, status: "200" });
    await (await fetch(`${base}/assets/app.js`)).text();
    const res = await fetch(`${base}/api/jobs`, { method: "POST", body: "{}" });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: "too large: /jobs" }); // the mount stripped /api
    await waitFor("the static file to be counted", async () => (await count(http, { route: STATIC_ROUTE })) > before);
    await waitFor(
      "the 413 under /api/*",
      async () => (await count(http, { route: "/api/*", method: "POST", status: "413" })) === 1,
    );
  });

  it("counts a request whose client gave up before any answer as 499", async () => {
    const labels = { route: "/api/jobs/:id", method: "GET", status: "499" };
    const before = await count(http, labels);
    const abort = new AbortController();
    const pending = fetch(`${base}/api/jobs/abc`, { signal: abort.signal }).catch((err: Error) => err);
    await waitFor("the request to reach the server", () => hanging.size === 1);
    abort.abort();
    expect(await pending).toBeInstanceOf(Error);
    await waitFor("the aborted request to be counted", async () => (await count(http, labels)) === before + 1);
  });

  it("serves the registry in Prometheus text format: default process metrics and storecast's own", async () => {
    await fetch(`${base}/api/forecasts/5/product_A`);
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
      "storecast_http_request_duration_seconds",
      "storecast_stream_records_ingested_total",
      "storecast_stream_records_rejected_total",
      "storecast_stream_consumer_lag",
      "storecast_stream_batch_duration_seconds",
      "storecast_jobs_total",
      "storecast_job_duration_seconds",
      "storecast_job_queue_depth",
      "storecast_training_duration_seconds",
      "storecast_series_trained_total",
      "storecast_pipeline_run_duration_seconds",
      "storecast_forecast_duration_seconds",
      "storecast_model_cv_error",
      "storecast_models_in_production",
    ]) {
      expect(text, name).toContain(`# TYPE ${name} `);
    }
    expect(text).toMatch(
      /storecast_http_request_duration_seconds_count\{route="\/api\/forecasts\/:store\/:product",method="GET",status="200"\} \d+/,
    );
  });
});

describe("scrape-time gauges", () => {
  let db: Database;
  const errors: string[] = [];
  const onError = (err: unknown, what: string) => errors.push(`${what}: ${(err as Error).message}`);

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterEach(() => {
    setMetricSources({ jobs: undefined, models: undefined, anomalousStores: undefined, onError: undefined });
    errors.length = 0;
  });
  afterAll(async () => {
    await db?.close();
  });

  it("reads the queue depth from the queue port at each scrape", async () => {
    const q = createInProcessQueue();
    try {
      setMetricSources({ jobs: q, onError });
      await q.enqueue("train-one", { store: 1, productname: "product_A" });
      await q.enqueue("train-one", { store: 2, productname: "product_A" });
      await registry.metrics();
      expect(await value("storecast_job_queue_depth", { state: "waiting" })).toBe(2);
      expect(await value("storecast_job_queue_depth", { state: "running" })).toBe(0);
      await q.enqueue("batch-forecast", {});
      expect(await registry.metrics()).toContain('storecast_job_queue_depth{state="waiting"} 3');
    } finally {
      await q.close(0);
    }
  });

  it("leaves the depth out, and still answers, when the queue fails or does not answer in time", async () => {
    const broken: Pick<JobQueue, "depth"> = { depth: () => Promise.reject(new Error("Redis is away")) };
    setMetricSources({ jobs: broken, onError });
    const text = await registry.metrics();
    expect(text).toContain("# TYPE storecast_job_queue_depth gauge");
    expect(text).not.toMatch(/storecast_job_queue_depth\{/);
    expect(errors).toEqual(["job queue depth: Redis is away"]);

    const silent: Pick<JobQueue, "depth"> = { depth: () => new Promise(() => {}) };
    setMetricSources({ jobs: silent });
    expect(await registry.metrics()).not.toMatch(/storecast_job_queue_depth\{/);
    expect(errors.at(-1)).toBe(`job queue depth: no answer within ${COLLECT_TIMEOUT_MS} ms`);
  });

  it("reads the newest anomaly scan's count (storecast_anomalous_stores); none before the first scan or on an error", async () => {
    setMetricSources({ anomalousStores: () => latestAnomalousCount(db), onError });
    expect(await registry.metrics()).not.toMatch(/^storecast_anomalous_stores /m);
    const day = parseDay("2026-11-30")!;
    await db.sql.query("INSERT INTO stores (store) VALUES (1), (2)");
    await scanAnomalies(db, day - 1, { windowDays: 28, sensitivity: 0.3 });
    await db.prisma.storeAnomalyRun.update({ where: { run_date: new Date("2026-11-29") }, data: { anomalous: 7 } });
    await scanAnomalies(db, day, { windowDays: 28, sensitivity: 0.3 });
    await db.prisma.storeAnomalyRun.update({ where: { run_date: new Date("2026-11-30") }, data: { anomalous: 3 } });
    expect(await registry.metrics()).toMatch(/^storecast_anomalous_stores 3$/m);
    setMetricSources({ anomalousStores: () => Promise.reject(new Error("database away")), onError });
    expect(await registry.metrics()).not.toMatch(/^storecast_anomalous_stores /m);
    expect(errors.at(-1)).toBe("anomaly scans: database away");
  });

  it("reads the production models' CV error quantiles from the registry", async () => {
    setMetricSources({ models: () => registrySummary(db), onError });
    await registry.metrics();
    expect(await value("storecast_models_in_production", { cv: "yes" })).toBe(0);
    expect(await value("storecast_model_cv_error", { metric: "rmspe", quantile: "0.5" })).toBeUndefined();

    // Eleven series with RMSPE 0.00, 0.01, ..., 0.10 (MAPE twice that); series 12 has no CV at all.
    for (let i = 0; i <= 10; i++) {
      const rmspe = i / 100;
      await registerVersion(
        db,
        newVersion(100 + i, "product_A", 1, {
          cv: { folds: [], mean: { rmse: 1, mape: 2 * rmspe, mae: 1, mdae: 1, rmspe } },
        }),
      );
    }
    await registerVersion(db, newVersion(112, "product_A", 1, { cv: null }));
    // An archived version does not count: series 100's second version replaces its first.
    await registerVersion(
      db,
      newVersion(100, "product_A", 2, {
        cv: { folds: [], mean: { rmse: 1, mape: 0.1, mae: 1, mdae: 1, rmspe: 0.05 } },
      }),
    );

    await registry.metrics();
    expect(await value("storecast_models_in_production", { cv: "yes" })).toBe(11);
    expect(await value("storecast_models_in_production", { cv: "no" })).toBe(1);
    // RMSPE now 0.01..0.10 and 0.05: median 0.05, worst 0.10.
    expect(await value("storecast_model_cv_error", { metric: "rmspe", quantile: "0.5" })).toBeCloseTo(0.05, 10);
    expect(await value("storecast_model_cv_error", { metric: "rmspe", quantile: "1" })).toBeCloseTo(0.1, 10);
    expect(await value("storecast_model_cv_error", { metric: "mape", quantile: "1" })).toBeCloseTo(0.2, 10);
    const p90 = await value("storecast_model_cv_error", { metric: "rmspe", quantile: "0.9" });
    expect(p90).toBeGreaterThan(0.08);
    expect(p90).toBeLessThanOrEqual(0.1);
    expect(errors).toEqual([]);

    const summary = await registrySummary(db);
    expect(summary.rmspe.map(([q]) => q)).toEqual([0.5, 0.9, 0.99, 1]);
  });

  it("leaves the model series out when the database fails", async () => {
    const broken = {
      sql: { query: () => Promise.reject(new Error("connection refused")), exec: () => Promise.resolve() },
    } as unknown as Database;
    setMetricSources({ models: () => registrySummary(broken), onError });
    const text = await registry.metrics();
    expect(text).toContain("# TYPE storecast_models_in_production gauge");
    expect(text).not.toMatch(/storecast_models_in_production\{/);
    expect(text).not.toMatch(/storecast_model_cv_error\{/);
    expect(errors).toEqual(["model registry: connection refused"]);
  });

  it("times pipeline runs by kind and final status", async () => {
    const labels = { kind: "retrain", status: "FAILED" };
    const before = await count("storecast_pipeline_run_duration_seconds", labels);
    const run = await PipelineRun.start(db, "retrain");
    await run.finish("FAILED", { error: "no history" });
    expect(await count("storecast_pipeline_run_duration_seconds", labels)).toBe(before + 1);
  });
});

describe("job attempts", () => {
  const outcomes = async () => {
    const out: Record<string, number> = {};
    for (const status of ["SUCCEEDED", "FAILED", "STOPPED"] satisfies JobStatus[]) {
      out[status] = (await value("storecast_jobs_total", { kind: "train-one", status })) ?? Number.NaN;
    }
    return out;
  };

  it("counts and times every attempt by kind and outcome, on whichever queue runs the handlers", async () => {
    const q = createInProcessQueue({ retryDelayScale: 0.001 });
    try {
      expect(await value("storecast_jobs_total", { kind: "train-one", status: "SUCCEEDED" })).toBeUndefined();
      let running = 0;
      const instrumented = instrumentJobHandlers(
        handlers({
          "train-one": async (data, ctx) => {
            running = (await value("storecast_jobs_running", { kind: "train-one" })) ?? Number.NaN;
            if (data.store === 2) throw new Error("no history");
            if (data.store === 3) {
              await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
              throw new Error("aborted");
            }
            return { ok: true };
          },
        }),
      );
      // Every kind and outcome is exported as 0 from the start.
      expect(await outcomes()).toEqual({ SUCCEEDED: 0, FAILED: 0, STOPPED: 0 });
      await q.startWorkers(instrumented);
      const ok = await q.enqueue("train-one", { store: 1, productname: "product_A" });
      await waitFor("the first job", async () => (await q.get(ok.id))?.status === "SUCCEEDED");
      expect(running).toBe(1);
      const failing = await q.enqueue("train-one", { store: 2, productname: "product_A" });
      await waitFor("the failing job", async () => (await q.get(failing.id))?.status === "FAILED");
      const cancelled = await q.enqueue("train-one", { store: 3, productname: "product_A" });
      await waitFor("the third job to run", async () => (await q.get(cancelled.id))?.status === "RUNNING");
      await q.cancel(cancelled.id);
      await waitFor("the third job to stop", async () => (await q.get(cancelled.id))?.status === "STOPPED");

      // train-one has two attempts: the failing job counts twice.
      expect(await outcomes()).toEqual({ SUCCEEDED: 1, FAILED: 2, STOPPED: 1 });
      expect(await value("storecast_jobs_running", { kind: "train-one" })).toBe(0);
      expect(await count("storecast_job_duration_seconds", { kind: "train-one", status: "FAILED" })).toBe(2);
    } finally {
      await q.close(0);
    }
  });
});

describe("training and forecast helpers", () => {
  it("counts series by result and times trained ones only", async () => {
    const trained = await value("storecast_series_trained_total", { result: "trained" });
    const skipped = await value("storecast_series_trained_total", { result: "skipped" });
    const timed = await count("storecast_training_duration_seconds", {});
    recordSeries("trained", 250);
    recordSeries("skipped");
    recordSeries("trained", Number.NaN);
    expect(await value("storecast_series_trained_total", { result: "trained" })).toBe((trained ?? 0) + 2);
    expect(await value("storecast_series_trained_total", { result: "skipped" })).toBe((skipped ?? 0) + 1);
    expect(await count("storecast_training_duration_seconds", {})).toBe(timed + 1);
    expect(await value("storecast_training_duration_seconds", { le: 0.25 }, "_bucket")).toBeGreaterThanOrEqual(1);
  });

  it("times ad-hoc forecasts by outcome and passes results and errors through", async () => {
    const [ok, error] = [
      await count("storecast_forecast_duration_seconds", { outcome: "ok" }),
      await count("storecast_forecast_duration_seconds", { outcome: "error" }),
    ];
    expect(await timeAdhocForecast(async () => 42)).toBe(42);
    await expect(timeAdhocForecast(() => Promise.reject(new Error("no model")))).rejects.toThrow("no model");
    expect(await count("storecast_forecast_duration_seconds", { outcome: "ok" })).toBe(ok + 1);
    expect(await count("storecast_forecast_duration_seconds", { outcome: "error" })).toBe(error + 1);
  });
});
