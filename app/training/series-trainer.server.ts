/**
 * One claimed series of a train-all run, trained: fit and cross-validate on a model thread, register
 * the new version, write its 7-day forecast, and record the outcome. Only the fit decides that a
 * series is skipped or failed for good; a database error after the fit leaves the series to be taken
 * again, up to MAX_SERIES_ERRORS times per worker.
 */

import { EMPTY_PLAN } from "../forecasting/series-data.server.js";
import { writeForecast } from "../forecasting/weekly.server.js";
import {
  type HistoryDay,
  InsufficientHistoryError,
  type ModelConfig,
  type PlanDay,
  type StoredModel,
  type TrainResult,
} from "../model/config.js";
import { planDays, weekdayOpenShares } from "../model/plan.js";
import type { ModelPool } from "../model/pool.server.js";
import type { RunLogWriter } from "../pipelines/run-log.server.js";
import type { Database } from "../platform/db.server.js";
import { AlreadyInRunError } from "../registry/register.server.js";
import { versionParams } from "../registry/versions.server.js";
import type { SeriesKey } from "../series.js";
import { recordOutcome, type SeriesOutcome, type TrainedInRun } from "./claims.server.js";
import { registerTrained } from "./register.server.js";

/** A series whose registration or forecast write fails this many times in one worker fails for good. */
const MAX_SERIES_ERRORS = 3;

/** Called once per finished series: its outcome, and for a fitted one the fit-and-CV time on the thread. */
export type OutcomeListener = (outcome: SeriesOutcome, fitMs?: number) => void;

/** A claimed series with its training window's history; `already` when a stopped worker registered it. */
export interface ClaimedWork {
  key: SeriesKey;
  days: HistoryDay[];
  already?: TrainedInRun;
}

/** What every series of one worker's pass shares. */
export interface SeriesTrainer {
  db: Database;
  pool: ModelPool;
  runId: number;
  worker: string;
  config: ModelConfig;
  /** The 7 forecast days and each store's plan for them. */
  forecastDates: string[];
  calendars: Map<number, Map<string, PlanDay>>;
  /**
   * Errors after the fit (database), by series, across this worker's passes over the run: a
   * passing one is retried, one that keeps coming fails the series (MAX_SERIES_ERRORS).
   */
  errors: Map<string, number>;
  onOutcome?: OutcomeListener;
  /** The run's log: a line per series (the run keeps its first and last lines, docs/decisions/0035). */
  log?: RunLogWriter;
}

/**
 * Trains one claimed series. Returns true when its outcome is recorded (the series is finished),
 * false when it is left for another pass (a passing database error) or for another worker.
 */
export async function trainClaimed(t: SeriesTrainer, { key, days, already }: ClaimedWork): Promise<boolean> {
  const { db, pool, runId, worker } = t;
  const done = async (
    outcome: SeriesOutcome,
    detail: { reason?: string; excludedDays?: number; forecastRows?: number; version?: number; fitMs?: number },
  ) => {
    const { version, fitMs, ...recorded } = detail;
    await recordOutcome(db, runId, key, outcome, { worker, ...recorded });
    const fields = { store: key.store, product: key.productname, worker, ...detail };
    if (outcome === "trained") t.log?.info(`store ${key.store} ${key.productname} trained`, fields);
    else t.log?.warn(`store ${key.store} ${key.productname} ${outcome}: ${detail.reason ?? "no reason given"}`, fields);
  };
  const plan = t.calendars.get(key.store) ?? EMPTY_PLAN;
  try {
    if (already) {
      // Registered by a worker that stopped before recording it: finish its forecast if missing.
      let rows = already.forecastRows;
      if (rows === 0) {
        const model = (await versionParams(db, already.versionId)) as StoredModel;
        const points = await pool.predict(model, planDays(t.forecastDates, plan, model.weekdayOpen));
        await writeForecast(db, key, already, points, runId);
        rows = points.length;
      }
      await done("trained", { forecastRows: rows });
      t.onOutcome?.("trained"); // fitted by the worker that stopped: no fit time here
      return true;
    }
    const future = planDays(t.forecastDates, plan, weekdayOpenShares(days, t.config));
    let trained: TrainResult;
    try {
      trained = await pool.train(days, t.config, { future });
    } catch (err) {
      // Only the fit decides that a series is skipped or failed for good.
      const outcome = err instanceof InsufficientHistoryError ? "skipped" : "failed";
      await done(outcome, { reason: (err as Error).message });
      t.onOutcome?.(outcome);
      return true;
    }
    const version = await registerTrained(db, key, trained, runId);
    await writeForecast(db, key, version, trained.forecast ?? [], runId);
    await done("trained", {
      excludedDays: trained.excluded,
      forecastRows: trained.forecast?.length ?? 0,
      version: version.version,
      fitMs: Math.round(trained.durationMs),
    });
    t.onOutcome?.("trained", trained.durationMs);
    return true;
  } catch (err) {
    // AlreadyInRunError: another worker of this run registered it meanwhile (a lease ran out),
    // theirs to record. Anything else (a database error around register, forecast or outcome):
    // the outcome stays NULL and the claim goes back when this worker's pass ends, so the series
    // is taken again (the `already` path finishes a registered one), up to MAX_SERIES_ERRORS times.
    if (err instanceof AlreadyInRunError) return false;
    const id = `${key.store}:${key.productname}`;
    const seen = (t.errors.get(id) ?? 0) + 1;
    t.errors.set(id, seen);
    if (seen < MAX_SERIES_ERRORS) {
      t.log?.warn(`store ${key.store} ${key.productname}: error after fitting, to be taken again`, {
        store: key.store,
        product: key.productname,
        worker,
        error: (err as Error).message,
        seen,
      });
      return false;
    }
    const reason = `failed ${seen} times after fitting: ${(err as Error).message}`;
    const recorded = await done("failed", { reason }).then(
      () => true,
      () => false,
    );
    if (recorded) t.onOutcome?.("failed");
    return recorded;
  }
}
