/**
 * Prophet itself: fitting one store and product series, its walk-forward cross-validation, and
 * (as the reference for predictor.ts) forecasting again from a stored model, with augurs (Prophet's
 * Stan model compiled to WASM). The one model module that touches WASM, kept apart so the rest stays
 * pure: the Stan optimiser compiles when this module is imported, augurs' Prophet loads once per
 * thread in initProphet. Otherwise synchronous, with no database or network, so it runs unchanged on
 * the main thread and inside model threads (thread.server.ts). The data it fits comes from
 * training-series.ts; configuration and types from config.ts.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { initSync, Prophet, type ProphetSeasonalityOption, type ProphetTrainingData } from "@bsull/augurs/prophet";
import { formatDay } from "../days.js";
import {
  type CvFold,
  type CvResult,
  type ForecastPoint,
  type HistoryDay,
  InsufficientHistoryError,
  type ModelConfig,
  type PlanDay,
  type ProphetParams,
  type RegressorName,
  type ResolvedModelConfig,
  type StoredModel,
  type TrainOptions,
  type TrainResult,
} from "./config.js";
import { cvFolds, cvNoise, meanMetrics, metrics } from "./cross-validation.js";
import { CapturingOptimizer, type Optimizer, replayOptimizer } from "./optimizers.server.js";
import { sharesOf } from "./plan.js";
import { compilePredictor, forecastWithPredictor } from "./predictor.js";
import {
  dayOf,
  fittedSeries,
  openDaysOf,
  REGRESSOR_VALUE,
  type Series,
  subSeries,
  varyingRegressors,
  windowOf,
} from "./training-series.js";

const DAY_SECONDS = 86_400;

// ---------------------------------------------------------------------------------------------------
// WASM (the optimisers, which capture and replay parameters, are in optimizers.server.ts).

let initialised = false;

/** Loads augurs' Prophet WASM once per thread. Synchronous so a worker can call it at import time. */
export function initProphet(): void {
  if (initialised) return;
  // Resolved through the package (its exports map hides the .wasm), never relative to this file:
  // bundlers and worker threads move this file, node_modules stays put.
  const entry = createRequire(import.meta.url).resolve("@bsull/augurs/prophet");
  initSync({ module: readFileSync(path.join(path.dirname(entry), "prophet_bg.wasm")) });
  initialised = true;
}

const manual = (enabled: boolean): ProphetSeasonalityOption => ({ type: "manual", enabled });

/** `intervals: false` skips the sampling behind the interval (CV scores point forecasts only). */
function newProphet(config: ResolvedModelConfig, optimizer: Optimizer, intervals = true): Prophet {
  initProphet();
  const prophet = new Prophet({
    optimizer,
    weeklySeasonality: manual(config.weekly),
    yearlySeasonality: manual(config.yearly),
    dailySeasonality: manual(false),
    intervalWidth: config.intervalWidth,
    ...(intervals ? {} : { uncertaintySamples: 0 }),
  });
  for (const r of config.regressors) prophet.addRegressor(r);
  return prophet;
}

// ---------------------------------------------------------------------------------------------------
// Fitting and forecasting.

function prophetData(s: Series, config: ResolvedModelConfig): ProphetTrainingData {
  return {
    ds: s.days.map((d) => d * DAY_SECONDS),
    y: s.y,
    x: new Map(config.regressors.map((r) => [r, s.x[r]])),
  };
}

/**
 * `fold`: a CV fold's fit, predicted only with this instance for its point forecast: no interval
 * sampling and no feature names. Otherwise the fit whose parameters are stored; its instance samples
 * no interval either, as its forecast comes from the stored model's predictor.
 */
function fitOn(s: Series, config: ResolvedModelConfig, fold = false): { prophet: Prophet; params: ProphetParams } {
  const optimizer = new CapturingOptimizer(s, config, fold);
  const prophet = newProphet(config, optimizer, false);
  try {
    prophet.fit(prophetData(s, config));
  } catch (err) {
    prophet.free();
    throw err;
  }
  if (!optimizer.params) {
    prophet.free();
    throw new Error("Prophet fit finished without running the optimiser");
  }
  return { prophet, params: optimizer.params };
}

/** Prophet's forecast for open days (oldest first) with their regressor columns. */
function prophetForecast(
  prophet: Prophet,
  config: ResolvedModelConfig,
  days: number[],
  x: Record<RegressorName, number[]>,
): { point: number[]; lower: number[]; upper: number[] } {
  const pred = prophet.predict({
    ds: days.map((d) => d * DAY_SECONDS),
    x: new Map(config.regressors.map((r) => [r, x[r]])),
  });
  const { point, intervals } = pred.yhat;
  // Sales cannot be negative: clamp the forecast and its interval at 0.
  const clamp = (xs: number[]) => xs.map((v) => Math.max(0, v));
  return { point: clamp(point), lower: clamp(intervals?.lower ?? point), upper: clamp(intervals?.upper ?? point) };
}

/** Forecasts `days` with a fitted model: days the plan marks closed are exactly 0. */
function forecastWith(prophet: Prophet, config: ResolvedModelConfig, days: readonly PlanDay[]): ForecastPoint[] {
  const out: ForecastPoint[] = days.map((d) => ({ date: d.date, value: 0, lower: 0, upper: 0 }));
  const open = openDaysOf(days);
  if (open.length === 0) return out;
  const column = (r: RegressorName) => open.map((o) => REGRESSOR_VALUE[r](o.d));
  const f = prophetForecast(
    prophet,
    config,
    open.map((o) => o.day),
    { promo: column("promo"), schoolholiday: column("schoolholiday"), stateholiday: column("stateholiday") },
  );
  open.forEach((o, j) => {
    out[o.i] = { date: o.d.date, value: f.point[j]!, lower: f.lower[j]!, upper: f.upper[j]! };
  });
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Training.

/**
 * Fits one series. `history` may be unsorted and longer than the window; the newest `trainDays`
 * calendar days ending at its newest date are used. A date that appears twice keeps its last row.
 */
export function trainModel(history: HistoryDay[], config: ModelConfig, opts: TrainOptions = {}): TrainResult {
  const started = performance.now();
  const w = windowOf(history, config.trainDays);
  if (!w) throw new InsufficientHistoryError(0);
  const { start, end } = w;

  const { series, excluded } = fittedSeries(w);
  if (series.days.length < config.minOpenDays) throw new InsufficientHistoryError(series.days.length);
  const weekdayOpen = sharesOf(w);

  const span = series.days[series.days.length - 1]! - series.days[0]! + 1;
  const resolved: ResolvedModelConfig = {
    ...config,
    yearly: config.yearly === "auto" ? span >= 365 : config.yearly,
    regressors: varyingRegressors(series, config.regressors),
  };

  const { prophet, params } = fitOn(series, resolved);
  prophet.free();

  const model: StoredModel = {
    config: resolved,
    training: {
      dates: series.days.map(formatDay),
      y: series.y,
      x: Object.fromEntries(resolved.regressors.map((r) => [r, series.x[r]])),
    },
    params,
    weekdayOpen,
  };
  const cv = opts.cv === false ? null : crossValidate(series, resolved, start, end);
  // The band's noise as the folds erred out of sample (ADR 39), then the forecast serving would give.
  const noise = cv ? cvNoise(cv.folds) : undefined;
  if (noise !== undefined) model.intervalNoise = noise;
  const forecast = opts.future ? forecastWithPredictor(compilePredictor(model), opts.future) : undefined;

  return {
    model,
    cv,
    trainStart: formatDay(start),
    trainEnd: formatDay(end),
    trainRows: series.days.length,
    excluded,
    durationMs: performance.now() - started,
    ...(forecast ? { forecast } : {}),
  };
}

/**
 * Walk-forward CV over the window. A fold is skipped when it has fewer than minOpenDays training rows
 * or no open day to score (e.g. a refurbishment closure); null when no fold could be scored. Folds
 * skip interval sampling: only point forecasts are scored, and sampling is ~25% of a fold's time.
 */
function crossValidate(series: Series, config: ResolvedModelConfig, start: number, end: number): CvResult | null {
  if (config.cvFolds <= 0 || config.cvHorizon <= 0) return null;
  const folds: CvFold[] = [];
  cvFolds(formatDay(start), formatDay(end), config.cvFolds, config.cvHorizon).forEach((f, i) => {
    const train = subSeries(series, start, dayOf(f.trainEnd));
    const test = subSeries(series, dayOf(f.testStart), dayOf(f.testEnd));
    if (train.days.length < config.minOpenDays || test.days.length === 0) return;
    const foldConfig: ResolvedModelConfig = { ...config, regressors: varyingRegressors(train, config.regressors) };
    const { prophet } = fitOn(train, foldConfig, true);
    let predicted: number[];
    try {
      predicted = prophetForecast(prophet, foldConfig, test.days, test.x).point;
    } finally {
      prophet.free();
    }
    folds.push({
      fold: i + 1,
      ...f,
      testDays: test.days.length,
      ...metrics(test.y, predicted),
    });
  });
  if (folds.length === 0) return null;
  return { folds, mean: meanMetrics(folds) };
}

// ---------------------------------------------------------------------------------------------------
// Prediction.

/**
 * Forecasts `days` from a stored model with augurs itself: Prophet re-created from the stored
 * parameters (no optimisation). Serving forecasts go through predictor.ts instead, ~10x faster; this
 * is the reference its tests and benchmark hold it to.
 */
export function predict(model: StoredModel, days: readonly PlanDay[]): ForecastPoint[] {
  return withReplayed(model, true, (prophet) => forecastWith(prophet, model.config, days));
}

/** augurs' Prophet re-created from a stored model's parameters (no optimisation), freed after `use`. */
function withReplayed<T>(model: StoredModel, intervals: boolean, use: (prophet: Prophet) => T): T {
  const { config, training } = model;
  const series: Series = {
    days: training.dates.map(dayOf),
    y: training.y,
    x: { promo: [], schoolholiday: [], stateholiday: [] },
  };
  for (const r of config.regressors) {
    const xs = training.x[r];
    if (!xs) throw new Error(`stored model has no training column for regressor ${r}`);
    series.x[r] = xs;
  }
  const prophet = newProphet(config, replayOptimizer(model.params, series, config), intervals);
  try {
    prophet.fit(prophetData(series, config));
    return use(prophet);
  } finally {
    prophet.free();
  }
}

/** augurs' own components of a prediction (every planned day, open or not): the reference for components.ts. */
export interface AugursComponents {
  yhat: number[];
  trend: number[];
  additive: number[];
  multiplicative: number[];
  seasonalities: Record<string, number[]>;
  regressors: Record<string, number[]>;
}

export function predictComponents(model: StoredModel, days: readonly PlanDay[]): AugursComponents {
  return withReplayed(model, false, (prophet) => {
    const pred = prophet.predict({
      ds: days.map((d) => dayOf(d.date) * DAY_SECONDS),
      x: new Map(model.config.regressors.map((r) => [r, days.map((d) => REGRESSOR_VALUE[r](d))])),
    });
    const points = (m: Map<string, { point: number[] }>) =>
      Object.fromEntries([...m].map(([name, f]) => [name, [...f.point]]));
    return {
      yhat: [...pred.yhat.point],
      trend: [...pred.trend.point],
      additive: [...pred.additive.point],
      multiplicative: [...pred.multiplicative.point],
      seasonalities: points(pred.seasonalities),
      regressors: points(pred.regressors),
    };
  });
}
