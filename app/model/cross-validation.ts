/**
 * Scoring a model: the walk-forward fold plan of cross-validation and the point-forecast error metrics
 * each fold is scored with, plus their mean over folds. Pure; the fits per fold are Prophet's
 * (crossValidate in prophet.server.ts), the result types config.ts's. scripts/bench-train.ts scores
 * with the same metrics.
 */
import { formatDay } from "../days.js";
import type { Metrics } from "./config.js";
import { dayOf } from "./training-series.js";

/**
 * Expanding-window folds: the last folds * horizon days of [trainStart, trainEnd] split into `folds`
 * consecutive test blocks, oldest first; each fold trains from trainStart to the day before its block.
 */
export function cvFolds(
  trainStart: string,
  trainEnd: string,
  folds: number,
  horizon: number,
): { trainStart: string; trainEnd: string; testStart: string; testEnd: string }[] {
  const end = dayOf(trainEnd);
  dayOf(trainStart); // validates
  return Array.from({ length: folds }, (_, i) => {
    const testStart = end - (folds - i) * horizon + 1;
    return {
      trainStart,
      trainEnd: formatDay(testStart - 1),
      testStart: formatDay(testStart),
      testEnd: formatDay(testStart + horizon - 1),
    };
  });
}

/**
 * Point-forecast errors. MAPE and RMSPE skip zero actuals (a percentage of 0 is undefined; Kaggle's
 * Rossmann scoring ignores them too) and are NaN when every actual is 0; all metrics are NaN for no data.
 */
export function metrics(actual: number[], predicted: number[]): Metrics {
  if (actual.length !== predicted.length) {
    throw new RangeError(`metrics: ${actual.length} actuals but ${predicted.length} predictions`);
  }
  const n = actual.length;
  const abs = actual.map((y, i) => Math.abs(y - predicted[i]!));
  const pct = actual.flatMap((y, i) => (y === 0 ? [] : [(y - predicted[i]!) / y]));
  const sorted = [...abs].sort((a, b) => a - b);
  const mid = Math.floor(n / 2);
  const mean = (xs: number[]) => (xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length);
  return {
    rmse: Math.sqrt(mean(abs.map((e) => e * e))),
    mape: mean(pct.map(Math.abs)),
    mae: mean(abs),
    mdae: n === 0 ? Number.NaN : n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    rmspe: Math.sqrt(mean(pct.map((e) => e * e))),
  };
}

/** The mean of each metric over folds. NaN (a fold whose open days all sold 0 has no MAPE) is left out. */
export function meanMetrics(folds: readonly Metrics[]): Metrics {
  const mean = (key: keyof Metrics) => {
    const xs = folds.map((f) => f[key]).filter((v) => !Number.isNaN(v));
    return xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  return { rmse: mean("rmse"), mape: mean("mape"), mae: mean("mae"), mdae: mean("mdae"), rmspe: mean("rmspe") };
}

/**
 * The out-of-sample spread of a day's sales around the forecast: the root mean square of the folds'
 * RMSEs (folds weigh alike). Undefined without two scored folds: too few errors to say.
 */
export function cvNoise(folds: readonly Pick<Metrics, "rmse">[]): number | undefined {
  const rmse = folds.map((f) => f.rmse).filter((v) => Number.isFinite(v));
  if (rmse.length < 2) return undefined;
  return Math.sqrt(rmse.reduce((s, r) => s + r * r, 0) / rmse.length);
}
