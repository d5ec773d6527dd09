/**
 * What one forecast request may spend, so that none starves the others (docs/decisions/0025): its
 * dates within the forecast window (forecast-window.ts), at most FORECAST_MAX_BATCH_POINTS forecast
 * points (items x days) in a batch, and its model-thread tasks queued under its client's fair share,
 * dropped when the client leaves, stopped past the task time limit (app/model/pool.server.ts).
 */
import { ApiError } from "../errors.js";
import { ModelTaskTimeoutError, type TaskOptions } from "../model/pool.server.js";
import { DEFAULT_FORECAST_MAX_BATCH_POINTS } from "../platform/config.server.js";

/** The request's budget: its client key and signal (TaskOptions), and the window's horizon. */
export interface ForecastBudget extends TaskOptions {
  /** Days after the newest sales day a forecast may reach (default DEFAULT_FORECAST_HORIZON_DAYS). */
  horizonDays?: number;
}

/** Forecast points a batch asks for: the sum of its items' days. */
export function batchPoints(items: readonly { days: number }[]): number {
  let points = 0;
  for (const item of items) points += Math.max(0, item.days);
  return points;
}

/** A batch asking for more forecast points than allowed (HTTP 413): details name the limit. */
export class BatchTooLargeError extends ApiError {
  override name = "BatchTooLargeError";
  constructor(
    readonly points: number,
    readonly limit: number,
  ) {
    super(
      413,
      `a batch asks for at most ${limit} forecast points (items x days), got ${points}: split it into smaller requests`,
      { field: "body", limit, points },
    );
  }
}

/** Throws BatchTooLargeError when `points` is over `limit`. */
export function assertBatchPoints(points: number, limit = DEFAULT_FORECAST_MAX_BATCH_POINTS): void {
  if (points > limit) throw new BatchTooLargeError(points, limit);
}

/** The model threads stopped a forecast that ran past their time limit: HTTP 503, try a shorter range. */
export class ForecastTimeoutError extends ApiError {
  override name = "ForecastTimeoutError";
  constructor(limitMs: number) {
    super(503, `the forecast took longer than the model-thread limit of ${limitMs} ms: ask for fewer days`, {
      limitMs,
    });
  }
}

/** Runs model-thread work, answering a task stopped by the time limit as ForecastTimeoutError. */
export async function inModelThreads<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ModelTaskTimeoutError) throw new ForecastTimeoutError(err.limitMs);
    throw err;
  }
}
