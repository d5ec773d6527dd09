/**
 * Retrain one series on its latest data (the Retrain button, the API, a retrain job): fit,
 * cross-validate, register the new production version and refresh its 7-day forecast, recorded as
 * a `retrain` run.
 */
import { assertSeriesExists, EMPTY_PLAN, loadHistories, newestSalesDay } from "../forecasting/series-data.server.js";
import { weekAfter, writeForecast } from "../forecasting/weekly.server.js";
import { InsufficientHistoryError, type ModelKind, modelConfig, type TrainResult } from "../model/config.js";
import { planDays, weekdayOpenShares } from "../model/plan.js";
import type { ModelPool } from "../model/pool.server.js";
import { PipelineRun } from "../pipelines/runs.server.js";
import type { Database } from "../platform/db.server.js";
import type { VersionSummary } from "../registry/versions.server.js";
import { type SeriesKey, seriesId } from "../series.js";
import { registerTrained } from "./register.server.js";
import type { OutcomeListener } from "./series-trainer.server.js";

export interface TrainOneResult {
  runId: number;
  version: VersionSummary;
  train: Omit<TrainResult, "model">;
}

/**
 * Retrains one series on its latest data: fit, cross-validate, register (the new version
 * becomes production) and refresh its 7-day forecast, recorded as a `retrain` run.
 */
export async function trainOne(
  db: Database,
  pool: ModelPool,
  key: SeriesKey,
  opts: { kind?: ModelKind; jobId?: string; onOutcome?: OutcomeListener } = {},
): Promise<TrainOneResult> {
  await assertSeriesExists(db, key);
  const config = modelConfig(opts.kind ?? "default");
  const run = await PipelineRun.start(db, "retrain", { params: { ...key, model: config.kind }, jobId: opts.jobId });
  try {
    const newest = await newestSalesDay(db);
    const histories = await run.step("load", () =>
      loadHistories(db, (newest ?? 0) - config.trainDays, newest ?? 0, { series: key }),
    );
    const days = histories.get(seriesId(key))?.days ?? [];
    run.log.info(`${days.length} days of history for store ${key.store} ${key.productname}`, { days: days.length });
    const week = await weekAfter(db, newest ?? 0, key.store);
    const future = planDays(week.dates, week.calendars.get(key.store) ?? EMPTY_PLAN, weekdayOpenShares(days, config));
    const trained = await run.step("fit", () => pool.train(days, config, { future }));
    const version = await run.step("register", () => registerTrained(db, key, trained, run.id));
    await run.step("forecast", () => writeForecast(db, key, version, trained.forecast ?? [], run.id));
    const { model: _model, ...train } = trained;
    run.log.info(`version ${version.version} registered and in production`, {
      version: version.version,
      trainRows: trained.trainRows,
      fitMs: Math.round(trained.durationMs),
    });
    await run.finish("SUCCEEDED", {
      counts: { ...key, version: version.version, trainRows: trained.trainRows, excludedDays: trained.excluded },
    });
    opts.onOutcome?.("trained", trained.durationMs);
    return { runId: run.id, version, train };
  } catch (err) {
    opts.onOutcome?.(err instanceof InsufficientHistoryError ? "skipped" : "failed");
    await run.finish("FAILED", { error: (err as Error).message });
    throw err;
  }
}
