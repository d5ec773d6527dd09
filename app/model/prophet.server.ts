/**
 * The forecasting model: Prophet (augurs, with Prophet's Stan model compiled to WASM) per store and
 * product, fitted on open days. Pure and synchronous (no database, no files besides the WASM loaded
 * once by initProphet), so it runs unchanged on the main thread and inside model worker threads.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import {
  initSync,
  Prophet,
  type ProphetInitialParams,
  type ProphetOptimizeOutput,
  type ProphetOptions,
  type ProphetSeasonalityOption,
  type ProphetStanDataJSON,
  type ProphetTrainingData,
} from "@bsull/augurs/prophet";
import { optimizer as wasmstan } from "@bsull/augurs-prophet-wasmstan";
import { formatDay, isoWeekday, parseDay } from "../days.js";
import type { StateHoliday } from "../rossmann.js";

export type RegressorName = "promo" | "schoolholiday" | "stateholiday";
export type ModelKind = "default" | "seed";

export interface ModelConfig {
  kind: ModelKind;
  /** The training window: calendar days ending at the newest history day. */
  trainDays: number;
  /** Fewer usable open days in the window -> InsufficientHistoryError. */
  minOpenDays: number;
  weekly: boolean;
  /** "auto": on only when the fitted days span at least 365 days (ADR 0003). */
  yearly: "auto" | boolean;
  intervalWidth: number;
  regressors: RegressorName[];
  cvFolds: number;
  cvHorizon: number;
}

export const REGRESSORS: readonly RegressorName[] = ["promo", "schoolholiday", "stateholiday"];

/** storecast's model: weekly seasonality plus the plan's known-in-advance covariates. */
export const DEFAULT_CONFIG: ModelConfig = Object.freeze<ModelConfig>({
  kind: "default",
  trainDays: 120,
  minOpenDays: 14,
  weekly: true,
  yearly: "auto",
  intervalWidth: 0.95,
  regressors: ["promo", "schoolholiday", "stateholiday"],
  cvFolds: 5,
  cvHorizon: 7,
});

/** The reference system exactly: Prophet on (date, sales) of open days, yearly and weekly on, no regressors. */
export const SEED_CONFIG: ModelConfig = Object.freeze<ModelConfig>({
  kind: "seed",
  trainDays: 120,
  minOpenDays: 14,
  weekly: true,
  yearly: true,
  intervalWidth: 0.95,
  regressors: [],
  cvFolds: 5,
  cvHorizon: 7,
});

/** A fresh, mutable copy of a kind's configuration. */
export function modelConfig(kind: ModelKind): ModelConfig {
  const base = kind === "seed" ? SEED_CONFIG : DEFAULT_CONFIG;
  return { ...base, regressors: [...base.regressors] };
}

export interface HistoryDay {
  date: string;
  sales: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

export interface PlanDay {
  date: string;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

/** Prophet's fitted parameters (in Prophet's scaled units), as plain arrays so they survive JSON. */
export interface ProphetParams {
  k: number;
  m: number;
  sigmaObs: number;
  delta: number[];
  beta: number[];
  trend: number[];
  /** What each beta entry multiplies ("weekly:sin1", "promo", ...): augurs' column order is not stable. */
  features: string[];
}

export type ResolvedModelConfig = ModelConfig & { yearly: boolean };

/** Everything needed to predict again without re-optimising; stored as JSON on a registry version. */
export interface StoredModel {
  /** Resolved: yearly is a boolean and regressors lists only the ones the model actually uses. */
  config: ResolvedModelConfig;
  training: { dates: string[]; y: number[]; x: Partial<Record<RegressorName, number[]>> };
  params: ProphetParams;
  /** Share of open days per ISO weekday (Mon..Sun) in the window, for the plan fallback. */
  weekdayOpen: number[];
}

export interface ForecastPoint {
  date: string;
  value: number;
  lower: number;
  upper: number;
}

export interface Metrics {
  rmse: number;
  /** A fraction (0.12 = 12%), over non-zero actuals only. */
  mape: number;
  mae: number;
  /** Median absolute error. */
  mdae: number;
  /** Kaggle Rossmann's metric, over non-zero actuals only. */
  rmspe: number;
}

export interface CvFold extends Metrics {
  fold: number;
  trainStart: string;
  trainEnd: string;
  testStart: string;
  testEnd: string;
  /** Open days scored. */
  testDays: number;
}

export interface CvResult {
  folds: CvFold[];
  mean: Metrics;
}

export interface TrainResult {
  model: StoredModel;
  cv: CvResult | null;
  /** The training window actually covered by the history (clipped to the oldest history day). */
  trainStart: string;
  trainEnd: string;
  /** Open days actually fitted. */
  trainRows: number;
  /** Open days dropped for NaN / negative / non-finite sales. */
  excluded: number;
  durationMs: number;
  /** When opts.future was given. */
  forecast?: ForecastPoint[];
}

export interface TrainOptions {
  future?: PlanDay[];
  /** Walk-forward cross-validation; default true. */
  cv?: boolean;
}

export class InsufficientHistoryError extends Error {
  override name = "InsufficientHistoryError";
  /** Survives structured cloning as a marker where the class does not (see pool.server.ts). */
  readonly insufficient = true;
  constructor(readonly openDays: number) {
    super(`insufficient history: ${openDays} open days`);
  }
}

const INSUFFICIENT_RE = /^insufficient history: (\d+) open days$/;

/** The error again if `message` is InsufficientHistoryError's, e.g. after crossing a thread boundary. */
export function insufficientHistoryFromMessage(message: string): InsufficientHistoryError | undefined {
  const m = INSUFFICIENT_RE.exec(message);
  return m ? new InsufficientHistoryError(Number(m[1])) : undefined;
}

// ---------------------------------------------------------------------------------------------------
// WASM and optimisers.

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

type Optimizer = ProphetOptions["optimizer"];
type OptimizeOpts = Parameters<Optimizer["optimize"]>[2];

const EMPTY_LOGS = { debug: "", info: "", warn: "", error: "", fatal: "" };

/** The part of augurs' Stan data this module reads. */
interface StanData {
  X: number[][];
}

/**
 * Names for the columns of the feature matrix augurs hands to Stan, i.e. for the entries of beta.
 * augurs keeps seasonalities and regressors in Rust HashMaps, whose iteration order changes from one
 * Prophet instance to the next, so beta's order does too: a stored beta is only meaningful with names.
 * Each column is identified by recomputing the candidates (Fourier terms exactly as augurs computes
 * them, regressor values) and matching; identical candidate columns are interchangeable by symmetry.
 */
function featureNames(X: number[][], s: Series, config: ResolvedModelConfig): string[] {
  const candidates = new Map<string, number[]>();
  const fourier = (name: string, period: number, order: number) => {
    for (let i = 1; i <= order; i++) {
      const angles = s.days.map((d) => (((d * DAY_SECONDS) / 3600 / 24) * Math.PI * 2 * i) / period);
      candidates.set(`${name}:sin${i}`, angles.map(Math.sin));
      candidates.set(`${name}:cos${i}`, angles.map(Math.cos));
    }
  };
  // augurs' default Fourier orders (Prophet's): yearly 10, weekly 3.
  if (config.yearly) fourier("yearly", 365.25, 10);
  if (config.weekly) fourier("weekly", 7, 3);
  for (const r of config.regressors) candidates.set(r, s.x[r]);
  candidates.set("dummy", new Array<number>(s.days.length).fill(0));

  const k = X[0]?.length ?? 0;
  const names: string[] = [];
  for (let j = 0; j < k; j++) {
    let found: string | undefined;
    for (const [name, col] of candidates) {
      // JS and Rust sin/cos may differ in the last bit.
      if (col.length === X.length && col.every((v, i) => Math.abs(v - X[i]![j]!) < 1e-9)) {
        found = name;
        break;
      }
    }
    if (found === undefined) throw new Error(`cannot identify Prophet feature column ${j}`);
    names.push(found);
    candidates.delete(found);
  }
  return names;
}

/** `params.beta` reordered to `names`; undefined when the feature sets differ. */
function betaFor(params: ProphetParams, names: readonly string[]): Float64Array | undefined {
  if (params.features.length !== names.length) return undefined;
  const beta = new Float64Array(names.length);
  for (let j = 0; j < names.length; j++) {
    const i = params.features.indexOf(names[j]!);
    if (i < 0) return undefined;
    beta[j] = params.beta[i]!;
  }
  return beta;
}

/**
 * The WASM Stan optimiser, keeping the parameters it found (augurs does not expose them).
 * No warm starts: starting CV folds from the previous fit saved ~10% of L-BFGS iterations but moved
 * the CV scores (the seed model's mean RMSPE by 4 points), i.e. it scored a different model.
 */
class CapturingOptimizer implements Optimizer {
  params: ProphetParams | undefined;
  constructor(
    private readonly series: Series,
    private readonly config: ResolvedModelConfig,
  ) {}

  optimize = (init: ProphetInitialParams, data: ProphetStanDataJSON, opts: OptimizeOpts): ProphetOptimizeOutput => {
    const features = featureNames((JSON.parse(data) as StanData).X, this.series, this.config);
    const out = wasmstan.optimize(init, data, opts);
    const p = out.params;
    this.params = {
      k: p.k,
      m: p.m,
      sigmaObs: p.sigmaObs,
      delta: Array.from(p.delta),
      beta: Array.from(p.beta),
      trend: Array.from(p.trend),
      features,
    };
    return out;
  };
}

/** Hands back stored parameters (beta in this instance's column order): re-creates a fitted model, no optimisation. */
function replayOptimizer(params: ProphetParams, series: Series, config: ResolvedModelConfig): Optimizer {
  return {
    optimize: (init, data) => {
      const beta = betaFor(params, featureNames((JSON.parse(data) as StanData).X, series, config));
      if (!beta || init.delta.length !== params.delta.length || params.trend.length !== series.days.length) {
        throw new Error("stored model does not match its training data");
      }
      return {
        logs: EMPTY_LOGS,
        params: {
          k: params.k,
          m: params.m,
          sigmaObs: params.sigmaObs,
          delta: Float64Array.from(params.delta),
          beta,
          trend: Float64Array.from(params.trend),
        },
      };
    },
  };
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
// Series preparation.

const DAY_SECONDS = 86_400;

const REGRESSOR_VALUE: Record<RegressorName, (d: PlanDay) => number> = {
  promo: (d) => (d.promo === 1 ? 1 : 0),
  schoolholiday: (d) => (d.schoolholiday === 1 ? 1 : 0),
  stateholiday: (d) => (d.stateholiday === "0" ? 0 : 1),
};

function dayOf(date: string): number {
  const day = parseDay(date);
  if (day === undefined) throw new RangeError(`invalid date: ${JSON.stringify(date)}`);
  return day;
}

/** Fitted open days, oldest first. */
interface Series {
  days: number[];
  y: number[];
  x: Record<RegressorName, number[]>;
}

function subSeries(s: Series, from: number, to: number): Series {
  const keep: number[] = [];
  s.days.forEach((d, i) => {
    if (d >= from && d <= to) keep.push(i);
  });
  const pick = (xs: number[]) => keep.map((i) => xs[i]!);
  return {
    days: pick(s.days),
    y: pick(s.y),
    x: { promo: pick(s.x.promo), schoolholiday: pick(s.x.schoolholiday), stateholiday: pick(s.x.stateholiday) },
  };
}

/**
 * A regressor constant over the training rows carries no information: its coefficient would be set by
 * the prior alone (a constant 1 is confounded with the trend offset), and Python Prophet would even
 * standardise it by 0. Rossmann stores are closed on most state holidays, so that column usually is.
 */
function varyingRegressors(s: Series, wanted: readonly RegressorName[]): RegressorName[] {
  return wanted.filter((r) => {
    const xs = s.x[r];
    return xs.some((v) => v !== xs[0]);
  });
}

function prophetData(s: Series, config: ResolvedModelConfig): ProphetTrainingData {
  return {
    ds: s.days.map((d) => d * DAY_SECONDS),
    y: s.y,
    x: new Map(config.regressors.map((r) => [r, s.x[r]])),
  };
}

function fitOn(s: Series, config: ResolvedModelConfig, intervals = true): { prophet: Prophet; params: ProphetParams } {
  const optimizer = new CapturingOptimizer(s, config);
  const prophet = newProphet(config, optimizer, intervals);
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
  const open = days
    .map((d, i) => ({ d, i, day: dayOf(d.date) }))
    .filter((o) => o.d.open === 1)
    .sort((a, b) => a.day - b.day);
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

/** The training window of a history: its newest `trainDays` calendar days, rows oldest first. */
interface Window {
  start: number;
  end: number;
  rows: { day: number; h: HistoryDay }[];
}

function windowOf(history: readonly HistoryDay[], trainDays: number): Window | undefined {
  const byDay = new Map<number, HistoryDay>();
  for (const h of history) byDay.set(dayOf(h.date), h);
  if (byDay.size === 0) return undefined;
  const days = [...byDay.keys()].sort((a, b) => a - b);
  const end = days[days.length - 1]!;
  // Clipped to the oldest history day, so a short history does not count missing days as closed.
  const start = Math.max(end - trainDays + 1, days[0]!);
  return { start, end, rows: days.filter((d) => d >= start).map((day) => ({ day, h: byDay.get(day)! })) };
}

function sharesOf(w: Window): number[] {
  const open = new Array<number>(7).fill(0);
  const calendar = new Array<number>(7).fill(0);
  for (const { day, h } of w.rows) if (h.open === 1) open[isoWeekday(day) - 1]!++;
  // Shares over calendar days: a weekday missing from the history counts as closed.
  for (let d = w.start; d <= w.end; d++) calendar[isoWeekday(d) - 1]!++;
  return open.map((n, i) => (calendar[i]! > 0 ? n / calendar[i]! : 0));
}

/**
 * Share of open days per ISO weekday (Mon..Sun) in the training window `trainModel` would use;
 * seven zeros for an empty history. The same numbers end up in StoredModel.weekdayOpen, so a plan
 * for `future` can be made before training.
 */
export function weekdayOpenShares(history: readonly HistoryDay[], config: Pick<ModelConfig, "trainDays">): number[] {
  const w = windowOf(history, config.trainDays);
  return w ? sharesOf(w) : new Array<number>(7).fill(0);
}

/**
 * Fits one series. `history` may be unsorted and longer than the window; the newest `trainDays`
 * calendar days ending at its newest date are used. A date that appears twice keeps its last row.
 */
export function trainModel(history: HistoryDay[], config: ModelConfig, opts: TrainOptions = {}): TrainResult {
  const started = performance.now();
  const w = windowOf(history, config.trainDays);
  if (!w) throw new InsufficientHistoryError(0);
  const { start, end } = w;

  const series: Series = { days: [], y: [], x: { promo: [], schoolholiday: [], stateholiday: [] } };
  let excluded = 0;
  for (const { day, h } of w.rows) {
    // Closed days are neither fitted nor counted as excluded: their 0 sales are not a data problem.
    if (h.open !== 1) continue;
    if (!Number.isFinite(h.sales) || h.sales < 0) {
      excluded++;
      continue;
    }
    series.days.push(day);
    series.y.push(h.sales);
    for (const r of REGRESSORS) series.x[r].push(REGRESSOR_VALUE[r](h));
  }
  if (series.days.length < config.minOpenDays) throw new InsufficientHistoryError(series.days.length);
  const weekdayOpen = sharesOf(w);

  const span = series.days[series.days.length - 1]! - series.days[0]! + 1;
  const resolved: ResolvedModelConfig = {
    ...config,
    yearly: config.yearly === "auto" ? span >= 365 : config.yearly,
    regressors: varyingRegressors(series, config.regressors),
  };

  const { prophet, params } = fitOn(series, resolved);
  let forecast: ForecastPoint[] | undefined;
  try {
    if (opts.future) forecast = forecastWith(prophet, resolved, opts.future);
  } finally {
    prophet.free();
  }

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
    const { prophet } = fitOn(train, foldConfig, false);
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
  // NaN (a fold whose open days all sold 0 has no MAPE) is left out of the mean.
  const mean = (key: keyof Metrics) => {
    const xs = folds.map((f) => f[key]).filter((v) => !Number.isNaN(v));
    return xs.length === 0 ? Number.NaN : xs.reduce((s, x) => s + x, 0) / xs.length;
  };
  return {
    folds,
    mean: { rmse: mean("rmse"), mape: mean("mape"), mae: mean("mae"), mdae: mean("mdae"), rmspe: mean("rmspe") },
  };
}

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

// ---------------------------------------------------------------------------------------------------
// Prediction.

/** A stored model re-created in this thread, reusable for any number of forecasts until `free()`. */
export interface LoadedModel {
  forecast(days: readonly PlanDay[]): ForecastPoint[];
  /** Releases the WASM memory behind the model; forecasting afterwards throws. */
  free(): void;
}

/** Re-creates Prophet from a stored model's parameters (no optimisation). */
export function loadModel(model: StoredModel): LoadedModel {
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
  const prophet = newProphet(config, replayOptimizer(model.params, series, config));
  try {
    prophet.fit(prophetData(series, config));
  } catch (e) {
    prophet.free();
    throw e;
  }
  let freed = false;
  return {
    forecast: (days) => {
      if (freed) throw new Error("forecast with a freed model");
      return forecastWith(prophet, config, days);
    },
    free: () => {
      if (!freed) prophet.free();
      freed = true;
    },
  };
}

/** Forecasts `days` from a stored model, once. */
export function predict(model: StoredModel, days: readonly PlanDay[]): ForecastPoint[] {
  const loaded = loadModel(model);
  try {
    return loaded.forecast(days);
  } finally {
    loaded.free();
  }
}

/**
 * The plan for `dates`: calendar rows where present; otherwise the store's usual weekday pattern
 * (open when weekdayOpen[dow] >= 0.5), no promo, no holidays.
 */
export function planDays(
  dates: string[],
  calendar: ReadonlyMap<string, PlanDay>,
  weekdayOpen: readonly number[],
): PlanDay[] {
  return dates.map((date) => {
    const planned = calendar.get(date);
    if (planned) return { ...planned, date };
    const usual = weekdayOpen[isoWeekday(dayOf(date)) - 1] ?? 0;
    return { date, open: usual >= 0.5 ? 1 : 0, promo: 0, stateholiday: "0", schoolholiday: 0 };
  });
}

// ---------------------------------------------------------------------------------------------------
// Metrics.

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
