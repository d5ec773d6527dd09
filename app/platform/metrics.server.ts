/**
 * Prometheus metrics (prom-client): one registry for the process, which server.ts serves at
 * GET /metrics. Modules register their metrics here, or on this registry from their own metrics module
 * (app/monitoring/metrics.server.ts); README "Metrics and monitoring" lists them.
 *
 * The registry is kept on globalThis: the Remix server build bundles its own copy of this module
 * (routes import it from build/server), while server.ts and the workers import the source through
 * tsx. Both copies must count into the same metrics, and a dev-server reload must not register
 * them twice.
 *
 * Labels stay bounded: routes are route patterns (never raw paths), job kinds and statuses,
 * results and reject classes are fixed lists; no store, product or job id is ever a label.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { JobQueue } from "../jobs/port.js";
import { COLLECT_TIMEOUT_MS, type OptionalGaugeConfig, scrapeReads, within } from "./scrape-reads.server.js";

export { COLLECT_TIMEOUT_MS };

/** Quantiles of the production models' CV error that are exported. */
export const CV_ERROR_QUANTILES = [0.5, 0.9, 0.99] as const;

/**
 * The scrape-time sources: set once the process has opened them (server.ts). Open for a domain's own
 * metrics module to declare its sources (app/monitoring/metrics.server.ts), so this one names no domain.
 */
export interface MetricSources {
  jobs?: Pick<JobQueue, "depth">;
  /** The production models' summary (app/registry/summary.server.ts). */
  models?: () => Promise<RegistrySummary>;
  /** The model threads' queue (app/model/pool.server.ts, its stats()). */
  modelTasks?: () => ModelTaskCounts;
  onError?: (err: unknown, what: string) => void;
}

const SECONDS_FAST = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function createMetrics() {
  const registry = new Registry();
  const sources: MetricSources = {};

  const { sharedRead, optionalGauge } = scrapeReads(registry, (err, what) => sources.onError?.(err, what));

  // process_cpu_seconds_total, process_resident_memory_bytes, nodejs_eventloop_lag_*, nodejs_heap_*, ...
  collectDefaultMetrics({ register: registry });

  const http = {
    requestSeconds: new Histogram({
      name: "storecast_http_request_duration_seconds",
      help: "HTTP requests by route pattern (e.g. /api/forecasts/:store/:product), method and status code; until the response ends (an SSE stream: its whole life).",
      labelNames: ["route", "method", "status"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };

  const ingest = {
    recordsIngested: new Counter({
      name: "storecast_stream_records_ingested_total",
      help: "Valid sales records consumed from the stream and upserted into rossman_sales (redeliveries count again).",
      registers: [registry],
    }),
    recordsRejected: new Counter({
      name: "storecast_stream_records_rejected_total",
      help: "Invalid sales records written to stream_rejects, by reason class.",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: "storecast_stream_batch_duration_seconds",
      help: "Time to validate a batch and commit its database transaction (successful batches).",
      buckets: SECONDS_FAST,
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: "storecast_stream_batch_failures_total",
      help: "Batches whose database write failed; each is delivered again after a backoff.",
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: "storecast_stream_consumer_lag",
      help: "Messages in the sales topic not yet committed by the ingest consumer group.",
      registers: [registry],
    }),
  };

  const jobs = {
    runs: new Counter({
      name: "storecast_jobs_total",
      help: "Job attempts this process ran, by kind and how they ended (SUCCEEDED, FAILED, STOPPED); a failed attempt that is retried counts as FAILED too.",
      labelNames: ["kind", "status"] as const,
      registers: [registry],
    }),
    seconds: new Histogram({
      name: "storecast_job_duration_seconds",
      help: "Run time of job attempts in this process, by kind and how they ended.",
      labelNames: ["kind", "status"] as const,
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers: [registry],
    }),
    running: new Gauge({
      name: "storecast_jobs_running",
      help: "Job attempts running in this process now, by kind.",
      labelNames: ["kind"] as const,
      registers: [registry],
    }),
    queueDepth: new Gauge({
      name: "storecast_job_queue_depth",
      help: "Jobs in the queue by state: waiting (ready to run), delayed (retry backoff; with BullMQ also each schedule's next run), running. With BullMQ the whole queue, the same on every replica (aggregate with max, not sum).",
      labelNames: ["state"] as const,
      registers: [registry],
      async collect() {
        const source = sources.jobs;
        if (!source) return;
        try {
          const depth = await within(COLLECT_TIMEOUT_MS, () => source.depth());
          this.set({ state: "waiting" }, depth.waiting);
          this.set({ state: "delayed" }, depth.delayed);
          this.set({ state: "running" }, depth.running);
        } catch (err) {
          // No number rather than a stale one: the series goes absent while the queue cannot answer.
          this.reset();
          sources.onError?.(err, "job queue depth");
        }
      },
    }),
  };

  const training = {
    seriesSeconds: new Histogram({
      name: "storecast_training_duration_seconds",
      help: "Time to fit and cross-validate one series' model in a model thread (trained series only).",
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    series: new Counter({
      name: "storecast_series_trained_total",
      help: "Series a training run (train-all, train-weekly, retrain) finished, by result: trained, skipped (too little history), failed.",
      labelNames: ["result"] as const,
      registers: [registry],
    }),
  };
  for (const result of ["trained", "skipped", "failed"]) training.series.inc({ result }, 0);

  const pipelines = {
    runSeconds: new Histogram({
      name: "storecast_pipeline_run_duration_seconds",
      help: "Wall time of pipeline runs (the pipeline_runs rows) by kind (train-all, train-weekly, retrain, batch-forecast, ingest-daily, history-load, retention) and final status.",
      labelNames: ["kind", "status"] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
      registers: [registry],
    }),
  };

  const forecast = {
    seconds: new Histogram({
      name: "storecast_forecast_duration_seconds",
      help: "Ad-hoc forecasts of one series from its production model (API, UI, each item of the reference batch route), by outcome (ok, error); whole batch-forecast runs are in storecast_pipeline_run_duration_seconds.",
      labelNames: ["outcome"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers: [registry],
    }),
  };

  // Read from the registry at scrape time (see docs/decisions/0007): the models serving now, the
  // same after a restart and on every replica, rather than only what this process trained. Both
  // gauges come from one query: a scrape collects every metric at once, so they share it.
  const summaryOnce = sharedRead("model registry", () => sources.models);
  const models = {
    cvError: new Gauge({
      name: "storecast_model_cv_error",
      help: "Cross-validation error of the production models: quantiles (0.5, 0.9, 0.99, 1 = worst) over all series, by metric (rmspe, mape; fractions). Read from the model registry at scrape time.",
      labelNames: ["metric", "quantile"] as const,
      registers: [registry],
      async collect() {
        if (!sources.models) return;
        const summary = await summaryOnce();
        this.reset();
        for (const metric of ["rmspe", "mape"] as const) {
          for (const [quantile, value] of summary?.[metric] ?? [])
            this.set({ metric, quantile: String(quantile) }, value);
        }
      },
    }),
    inProduction: new Gauge({
      name: "storecast_models_in_production",
      help: "Series with a production model version in the registry, by whether it has cross-validation metrics (cv: yes, no). Read from the model registry at scrape time.",
      labelNames: ["cv"] as const,
      registers: [registry],
      async collect() {
        if (!sources.models) return;
        const summary = await summaryOnce();
        // No number rather than a stale one when the database cannot answer.
        this.reset();
        if (!summary) return;
        this.set({ cv: "yes" }, summary.validated);
        this.set({ cv: "no" }, summary.models - summary.validated);
      },
    }),
  };

  const modelTasks = {
    now: new Gauge({
      name: "storecast_model_tasks",
      help: "Model-thread tasks (fits, forecast chunks) by state: queued (waiting for a thread, fair across clients), running.",
      labelNames: ["state"] as const,
      registers: [registry],
      collect() {
        const stats = sources.modelTasks?.();
        if (!stats) return;
        this.set({ state: "queued" }, stats.queued);
        this.set({ state: "running" }, stats.running);
      },
    }),
    total: new Counter({
      name: "storecast_model_tasks_total",
      help: "Model-thread tasks that ended, by outcome: ok, failed, cancelled (dropped while queued: the client left), timeout (stopped at MODEL_TASK_TIMEOUT_MS).",
      labelNames: ["outcome"] as const,
      registers: [registry],
      collect() {
        const stats = sources.modelTasks?.();
        if (!stats) return;
        // The pool counts; the counter shows its totals.
        this.reset();
        const f = stats.finished;
        for (const [outcome, n] of [
          ["ok", f.ok],
          ["failed", f.failed],
          ["cancelled", f.cancelled],
          ["timeout", f.timedOut],
        ] as const)
          this.inc({ outcome }, n);
      },
    }),
  };

  return {
    registry,
    sources,
    optionalGauge,
    sharedRead,
    http,
    ingest,
    jobs,
    training,
    pipelines,
    forecast,
    models,
    modelTasks,
  };
}

/** What the model-task metrics read of the pool (the shape of app/model/pool.server.ts's stats()). */
export interface ModelTaskCounts {
  queued: number;
  running: number;
  finished: { ok: number; failed: number; cancelled: number; timedOut: number };
}

/** What the model gauges show, read from the registry at scrape time. */
export interface RegistrySummary {
  models: number;
  /** Of `models`, those with cross-validation metrics. */
  validated: number;
  /** [quantile, value] pairs; 1 is the worst model. Empty when no model has the metric. */
  rmspe: [number, number][];
  mape: [number, number][];
}

const KEY = Symbol.for("storecast.metrics");
const holder = globalThis as { [KEY]?: ReturnType<typeof createMetrics> };
holder[KEY] ??= createMetrics();
const metrics = holder[KEY];

/** The process's registry: `await registry.metrics()` is the /metrics body (`registry.contentType`). */
export const registry: Registry = metrics.registry;

/**
 * A gauge of one series read at each scrape that is absent, not 0, while its value is unknown: its
 * `read` answers null or nothing (source not set), fails (reported to onError as `what`) or takes
 * longer than COLLECT_TIMEOUT_MS. Registers on the process's registry unless `registers` says otherwise.
 */
export const optionalGauge: <L extends string = never>(config: OptionalGaugeConfig<L>) => Gauge<L> =
  metrics.optionalGauge;

/**
 * One read of a source shared by the gauges a scrape collects together (they share its query): null
 * when the source is not set, fails (reported once to onError as `what`) or is later than COLLECT_TIMEOUT_MS.
 */
export const sharedScrapeRead: <T>(
  what: string,
  source: () => (() => Promise<T>) | undefined,
) => () => Promise<T | null> = metrics.sharedRead;

/** The sources set so far (setMetricSources), for the gauges a domain's metrics module registers. */
export function metricSources(): Readonly<MetricSources> {
  return metrics.sources;
}

/** HTTP requests (server.ts, app/server/http-metrics.server.ts). */
export const httpMetrics = metrics.http;
/** The sales stream's ingest consumer (workers/ingest-consumer.ts). */
export const ingestMetrics = metrics.ingest;
/** Job attempts (app/server/job-metrics.server.ts) and the queue's depth. */
export const jobMetrics = metrics.jobs;
/** Trained, skipped and failed series (reported by app/training, recorded by app/server/job-handlers.server.ts). */
export const trainingMetrics = metrics.training;
/** Pipeline runs as they finish (app/pipelines/runs.server.ts). */
export const pipelineMetrics = metrics.pipelines;
/** Ad-hoc forecasts (timed around app/forecasting/adhoc.server.ts by the routes). */
export const forecastMetrics = metrics.forecast;

/**
 * What the scrape-time gauges read: the job queue (storecast_job_queue_depth) and the database
 * (storecast_model_cv_error, storecast_models_in_production). A source that fails or takes longer
 * than COLLECT_TIMEOUT_MS leaves its series out of that scrape and is reported to `onError`;
 * the scrape itself always answers.
 */
export function setMetricSources(sources: MetricSources): void {
  Object.assign(metrics.sources, sources);
}

/** Runs one ad-hoc forecast, observing its duration by outcome (storecast_forecast_duration_seconds). */
export async function timeAdhocForecast<T>(fn: () => Promise<T>): Promise<T> {
  const end = metrics.forecast.seconds.startTimer();
  try {
    const out = await fn();
    end({ outcome: "ok" });
    return out;
  } catch (err) {
    end({ outcome: "error" });
    throw err;
  }
}

/**
 * A batch of `count` ad-hoc forecasts made together (the reference batch route) that took `seconds`:
 * each is observed with its share of the time, so the histogram stays per forecast.
 */
export function observeAdhocForecasts(count: number, seconds: number, outcome: "ok" | "error"): void {
  if (count <= 0) return;
  for (let i = 0; i < count; i++) metrics.forecast.seconds.observe({ outcome }, seconds / count);
}

/** One series finished by a training run; a trained one with its fit-and-CV time in the model thread. */
export function recordSeries(result: "trained" | "skipped" | "failed", fitMs?: number): void {
  metrics.training.series.inc({ result });
  if (result === "trained" && fitMs !== undefined && Number.isFinite(fitMs)) {
    metrics.training.seriesSeconds.observe(fitMs / 1000);
  }
}
