/**
 * The batch forecast: the weekly 7 days re-forecast for every series from its production version,
 * without refitting (the compiled predictor and the store calendar), written into `forecast_results`
 * and recorded as a `batch-forecast` run.
 */

import { planDays } from "../model/plan.js";
import type { ModelPool, PredictItem } from "../model/pool.server.js";
import { MAX_LISTED_FAILURES, PipelineRun } from "../pipelines/runs.server.js";
import type { Database } from "../platform/db.server.js";
import { listProductionVersionKeys, type ProductionVersionKey } from "../registry/versions.server.js";
import type { FailedSeries } from "../series.js";
import { storedPredictors } from "./model-cache.server.js";
import { EMPTY_PLAN, newestSalesDay } from "./series-data.server.js";
import { BATCH_HORIZON_DAYS, type SeriesForecast, weekAfter, writeForecasts } from "./weekly.server.js";

/** Series per chunk: one predictMany call and one write each (1,000s of forecast rows). */
const CHUNK = 500;

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
      Promise.all([listProductionVersionKeys(db), weekAfter(db, newest)]),
    );
    result.forecastFrom = dates[0]!;
    result.forecastTo = dates.at(-1)!;
    result.series = keys.length;
    await run.progress(0, keys.length);
    run.log.info(`forecasting ${keys.length} series for ${result.forecastFrom} to ${result.forecastTo}`, {
      series: keys.length,
    });
    const fail = (v: ProductionVersionKey, reason: string) => {
      run.log.warn(`store ${v.store} ${v.productname} not forecast: ${reason}`, {
        store: v.store,
        product: v.productname,
        version: v.id,
      });
      result.failed++;
      if (result.failures.length < MAX_LISTED_FAILURES)
        result.failures.push({ store: v.store, productname: v.productname, reason });
    };
    let done = 0;
    const forecastChunk = async (versions: ProductionVersionKey[]) => {
      // Until predicted and written; a throw fails these (a bad version alone fails only itself).
      let pending = versions;
      try {
        // The listing named the versions: their predictors by id (cached, the rest in one query).
        const predictors = await storedPredictors(
          db,
          versions.map((v) => v.id),
        );
        const items: PredictItem[] = [];
        pending = versions.filter((v) => {
          const predictor = predictors.get(v.id);
          if (!predictor || predictor instanceof Error) {
            fail(v, predictor?.message ?? `model version ${v.id} not found`);
            return false;
          }
          items.push({ predictor, days: planDays(dates, calendars.get(v.store) ?? EMPTY_PLAN, predictor.weekdayOpen) });
          return true;
        });
        const points = await pool.predictMany(items);
        const forecasts: SeriesForecast[] = pending.map((v, i) => ({ key: v, version: v, points: points[i]! }));
        await writeForecasts(db, forecasts, run.id);
        result.forecast += forecasts.length;
        result.forecastRows += forecasts.reduce((n, f) => n + f.points.length, 0);
      } catch (err) {
        for (const v of pending) fail(v, (err as Error).message);
      }
      done += versions.length;
      run.log.debug(`forecast ${done} of ${keys.length} series`, { done, total: keys.length });
      opts.onProgress?.(done, keys.length);
      void run.progress(done, keys.length);
    };
    await run.step("forecast", async () => {
      // Two chunks in flight: one predicting in the threads while the other is read or written.
      let next = 0;
      const worker = async () => {
        while (next < keys.length && !opts.signal?.aborted) {
          const chunk = keys.slice(next, next + CHUNK);
          next += chunk.length;
          await forecastChunk(chunk);
        }
      };
      await Promise.all([worker(), worker()]);
    });
  });
}
