/**
 * The batch forecast: the weekly 7 days re-forecast for every series from its production version,
 * without refitting (the stored model and the store calendar), written into `forecast_results` and
 * recorded as a `batch-forecast` run.
 */

import { planDays } from "../model/plan.js";
import type { ModelPool } from "../model/pool.server.js";
import { MAX_LISTED_FAILURES, PipelineRun } from "../pipelines/runs.server.js";
import type { Database } from "../platform/db.server.js";
import { listProductionVersions } from "../registry/versions.server.js";
import type { FailedSeries, SeriesKey } from "../series.js";
import { storedModel } from "./model-cache.server.js";
import { EMPTY_PLAN, newestSalesDay } from "./series-data.server.js";
import { BATCH_HORIZON_DAYS, weekAfter, writeForecast } from "./weekly.server.js";

/**
 * Runs a pipeline's work and ends its run: STOPPED when aborted, SUCCEEDED otherwise (with the
 * work's note, e.g. when there was nothing to do), FAILED and rethrown when the work throws.
 */
async function settleRun<R extends { status: "SUCCEEDED" | "FAILED" | "STOPPED"; durationMs: number }>(
  run: PipelineRun,
  result: R,
  started: number,
  signal: AbortSignal | undefined,
  work: () => Promise<string | undefined>,
): Promise<R> {
  try {
    const note = await work();
    if (signal?.aborted) result.status = "STOPPED";
    result.durationMs = Date.now() - started;
    await run.finish(result.status === "STOPPED" ? "STOPPED" : "SUCCEEDED", {
      counts: note ? { ...result, note } : result,
    });
    return result;
  } catch (err) {
    result.status = "FAILED";
    result.durationMs = Date.now() - started;
    await run.finish("FAILED", { counts: result, error: (err as Error).message });
    throw err;
  }
}

export interface BatchForecastResult {
  runId: number;
  status: "SUCCEEDED" | "FAILED" | "STOPPED";
  /** Series with a production version. */
  series: number;
  forecast: number;
  failed: number;
  forecastRows: number;
  failures: FailedSeries[];
  forecastFrom: string | null;
  forecastTo: string | null;
  durationMs: number;
}

/**
 * Re-forecasts the 7 days after the newest sales day for every series from its production
 * version, without refitting (the stored model and the store calendar, as an ad-hoc forecast),
 * and writes them into `forecast_results`; recorded as a `batch-forecast` run. A series that
 * fails is counted and listed; the run goes on.
 */
export async function batchForecast(
  db: Database,
  pool: ModelPool,
  opts: { jobId?: string; onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {},
): Promise<BatchForecastResult> {
  const started = Date.now();
  const run = await PipelineRun.start(db, "batch-forecast", {
    params: { horizonDays: BATCH_HORIZON_DAYS },
    jobId: opts.jobId,
  });
  const result: BatchForecastResult = {
    runId: run.id,
    status: "SUCCEEDED",
    series: 0,
    forecast: 0,
    failed: 0,
    forecastRows: 0,
    failures: [],
    forecastFrom: null,
    forecastTo: null,
    durationMs: 0,
  };
  return settleRun(run, result, started, opts.signal, async () => {
    const newest = await newestSalesDay(db);
    if (newest === null) return "no sales history";
    const [keys, { dates, calendars }] = await run.step("load", () =>
      Promise.all([listProductionVersions(db), weekAfter(db, newest)]),
    );
    result.forecastFrom = dates[0]!;
    result.forecastTo = dates.at(-1)!;
    result.series = keys.length;
    await run.progress(0, keys.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < keys.length && !opts.signal?.aborted) {
        const version = keys[next++]!;
        const key: SeriesKey = { store: version.store, productname: version.productname };
        try {
          // The listing named the version: its model by id (cached), not a second lookup per series.
          const { model } = await storedModel(db, version.id);
          const plan = planDays(dates, calendars.get(key.store) ?? EMPTY_PLAN, model.weekdayOpen);
          const points = await pool.predict(model, plan);
          await writeForecast(db, key, version, points, run.id);
          result.forecast++;
          result.forecastRows += points.length;
        } catch (err) {
          result.failed++;
          if (result.failures.length < MAX_LISTED_FAILURES)
            result.failures.push({ ...key, reason: (err as Error).message });
        }
        done++;
        opts.onProgress?.(done, keys.length);
        void run.progress(done, keys.length);
      }
    };
    await run.step("forecast", () => Promise.all(Array.from({ length: Math.max(1, pool.threads * 2) }, worker)));
  });
}
