/**
 * Prophet's predict for a stored model, in TypeScript: what augurs' `Prophet::predict` computes
 * (crates/augurs-prophet/src/prophet/{prep,predict}.rs, v0.10.2), without re-creating Prophet in
 * WASM for every forecast. `compilePredictor` derives once, from a stored model, the hundred or so
 * numbers predicting needs (augurs' scales, changepoints, named betas); `forecastWithPredictor`
 * forecasts from them. Fitting and cross-validation stay in augurs (prophet.server.ts); the tests
 * hold the two equal (tests/unit/model/predictor.test.ts, ADR 17). Pure: no I/O, no WASM.
 */

import { DATE_RE, parseDay } from "../days.js";
import type { ForecastPoint, PlanDay, RegressorName, StoredModel } from "./config.js";
import { fillNormal, hashNumber, hashWord, laplace, Poisson, percentiles, Rng } from "./sampling.js";
import { dayOf, openDaysOf, REGRESSOR_VALUE } from "./training-series.js";

const DAY_SECONDS = 86_400;
// augurs' defaults, which newProphet (prophet.server.ts) leaves alone.
const N_CHANGEPOINTS = 25;
const CHANGEPOINT_RANGE = 0.8;
const UNCERTAINTY_SAMPLES = 1000;
export const SEASONALITIES = { weekly: { period: 7, order: 3 }, yearly: { period: 365.25, order: 10 } } as const;

/** Everything Prophet's predict needs of a stored model: plain data, cheap to cache and send to a thread. */
export interface Predictor {
  /** t = (day - startDay) * 86400 / tScale, augurs' time scale (tScale in seconds). */
  startDay: number;
  tScale: number;
  /** augurs' absmax scaling: forecasts are in units of yScale, the floor is 0. */
  yScale: number;
  k: number;
  m: number;
  sigmaObs: number;
  /** The history's changepoints (in t) and the trend's rate change at each. */
  changepoints: number[];
  delta: number[];
  /** Scale of the Laplace the future's rate changes are drawn from: mean |delta| + 1e-8. */
  laplaceScale: number;
  /** Fourier betas per seasonality, [sin1, cos1, sin2, cos2, ...]; empty when off. */
  weekly: number[];
  yearly: number[];
  /** Each regressor's beta and augurs' standardisation (x - mu) / std. */
  regressors: { name: RegressorName; beta: number; mu: number; std: number }[];
  intervalWidth: number;
  samples: number;
  /** The stored model's open share per ISO weekday, for planning days (plan.ts). */
  weekdayOpen: number[];
  /** Seeds the interval's draws, with the days asked: the same question gets the same answer. */
  seed: number;
}

/** The feature names prophet.server.ts stores beside beta: a seasonality's Fourier terms, a regressor, or dummy. */
function fourierNames(name: string, order: number): string[] {
  return Array.from({ length: order }, (_, i) => [`${name}:sin${i + 1}`, `${name}:cos${i + 1}`]).flat();
}

/** augurs' `initialize_scales` for one regressor (Standardize::Auto): mean and std of its distinct values. */
function regressorScale(xs: readonly number[]): { mu: number; std: number } {
  // Our regressors are 0/1 columns: not standardised.
  if (xs.every((v) => v === 0 || v === 1) && xs.includes(0) && xs.includes(1)) return { mu: 0, std: 1 };
  const vals = [...xs].sort((a, b) => a - b).filter((v, i, all) => i === 0 || v !== all[i - 1]);
  if (vals.length < 2 || (vals.length === 2 && vals[0] === 0 && vals[1] === 1)) return { mu: 0, std: 1 };
  // Over the distinct values, not the rows: augurs' way (Python Prophet uses the rows).
  let sum = 0;
  for (const v of vals) sum += v;
  const mean = sum / vals.length;
  let sq = 0;
  for (const v of vals) sq += (v - mean) ** 2;
  return { mu: mean, std: Math.sqrt(sq / vals.length) };
}

/** augurs' `get_changepoints` without given changepoints: evenly over the first 80% of the history, by index. */
function changepointDays(n: number, dayAt: (j: number) => number): number[] {
  const histSize = Math.floor(n * CHANGEPOINT_RANGE);
  const count = Math.min(N_CHANGEPOINTS, histSize - 1);
  if (count <= 0) return [];
  const out: number[] = [];
  for (let i = 1; i <= count; i++) out.push(dayAt(Math.round((i / count) * (histSize - 1))));
  return out;
}

/**
 * The training rows augurs fits, in its order: rows with a NaN y dropped (filter_nans), then by
 * date. `dayAt(j)` is the day of the j-th; stored dates are sorted already, and then only the few
 * days compiling needs are parsed (parsing every date was most of a compile): every date's format
 * is checked, its calendar validity only where parsed.
 */
function fittedRows(dates: readonly string[], y: readonly number[]): { rows: number[]; dayAt: (j: number) => number } {
  const rows: number[] = [];
  for (let i = 0; i < dates.length; i++) if (!Number.isNaN(y[i])) rows.push(i);
  // ISO dates compare as strings; strictly increasing also rules out a date twice.
  const sorted = rows.every((r, j) => j === 0 || (DATE_RE.test(dates[r]!) && dates[rows[j - 1]!]! < dates[r]!));
  if (sorted && (rows.length === 0 || DATE_RE.test(dates[rows[0]!]!))) {
    return { rows, dayAt: (j) => dayOf(dates[rows[j]!]!) };
  }
  const days = dates.map((d) => dayOf(d));
  rows.sort((a, b) => days[a]! - days[b]! || a - b);
  return { rows, dayAt: (j) => days[rows[j]!]! };
}

/** Throws when the stored model is not one this predictor reproduces (unknown or missing features, wrong sizes). */
export function compilePredictor(model: StoredModel): Predictor {
  const { config, training, params } = model;
  const fail = (why: string): never => {
    throw new Error(`cannot compile a predictor: ${why}`);
  };
  const n0 = training.dates.length;
  if (training.y.length !== n0) fail("training dates and y differ in length");
  const { rows, dayAt } = fittedRows(training.dates, training.y);
  const n = rows.length;
  if (n < 2) fail("fewer than 2 training days");
  const startDay = dayAt(0);
  const tScale = (dayAt(n - 1) - startDay) * DAY_SECONDS;
  if (!(tScale > 0)) fail("training days span no time");
  let yScale = 0;
  for (const r of rows) yScale = Math.max(yScale, Math.abs(training.y[r]!));
  if (yScale === 0) yScale = 1;

  const cpDays = changepointDays(n, dayAt);
  // No changepoint: augurs keeps one dummy at t = 0.
  const changepoints = cpDays.length === 0 ? [0] : cpDays.map((d) => ((d - startDay) * DAY_SECONDS) / tScale);
  if (params.delta.length !== changepoints.length) {
    fail(`${params.delta.length} trend changes stored, augurs places ${changepoints.length} changepoints`);
  }
  if (params.beta.length !== params.features.length) fail("beta and its feature names differ in length");

  const betas = new Map<string, number>();
  params.features.forEach((f, i) => {
    if (betas.has(f)) fail(`feature ${JSON.stringify(f)} appears twice`);
    betas.set(f, params.beta[i]!);
  });
  const take = (name: string): number => {
    const b = betas.get(name);
    if (b === undefined) return fail(`feature ${JSON.stringify(name)} missing from the stored model`);
    betas.delete(name);
    return b;
  };
  const seasonal = (on: boolean, s: { period: number; order: number }, name: string) =>
    on ? fourierNames(name, s.order).map(take) : [];
  const yearly = seasonal(config.yearly, SEASONALITIES.yearly, "yearly");
  const weekly = seasonal(config.weekly, SEASONALITIES.weekly, "weekly");
  const regressors = config.regressors.map((name) => {
    const xs = training.x[name];
    if (!xs || xs.length !== n0) return fail(`no training column of ${n0} values for regressor ${name}`);
    return { name, beta: take(name), ...regressorScale(rows.map((r) => xs[r]!)) };
  });
  // With no other feature augurs fits a dummy column of zeros: its beta multiplies nothing.
  if (yearly.length + weekly.length + regressors.length === 0) take("dummy");
  const unknown = [...betas.keys()];
  if (unknown.length > 0) fail(`unknown feature(s) ${unknown.map((f) => JSON.stringify(f)).join(", ")}`);

  let absDelta = 0;
  for (const d of params.delta) absDelta += Math.abs(d);
  let laplaceScale = absDelta / params.delta.length + 1e-8;
  if (Number.isNaN(laplaceScale)) laplaceScale = 1e-8;

  // From the betas in a fixed order: augurs' (stored) order varies between fits.
  let seed = hashWord(0x5eed, changepoints.length);
  const betasInOrder = [...yearly, ...weekly, ...regressors.map((r) => r.beta)];
  for (const x of [params.k, params.m, params.sigmaObs, yScale, tScale, startDay, ...params.delta, ...betasInOrder]) {
    seed = hashNumber(seed, x);
  }
  return {
    startDay,
    tScale,
    yScale,
    k: params.k,
    m: params.m,
    // The band's noise: the CV folds' out-of-sample spread where it is wider than Prophet's in-sample one (ADR 39).
    sigmaObs: Math.max(params.sigmaObs, (model.intervalNoise ?? 0) / yScale),
    changepoints,
    delta: [...params.delta],
    laplaceScale,
    weekly,
    yearly,
    regressors,
    intervalWidth: config.intervalWidth,
    samples: UNCERTAINTY_SAMPLES,
    weekdayOpen: [...model.weekdayOpen],
    seed,
  };
}

/** Fourier terms of a seasonality at a day, as augurs computes them (from epoch seconds, not t). */
export function fourier(betas: readonly number[], period: number, day: number): number {
  let s = 0;
  const x = ((day * DAY_SECONDS) / 3600 / 24) * Math.PI * 2;
  for (let i = 0; 2 * i < betas.length; i++) {
    const angle = (x * (i + 1)) / period;
    s += betas[2 * i]! * Math.sin(angle) + betas[2 * i + 1]! * Math.cos(angle);
  }
  return s;
}

/** augurs' `piecewise_linear` at t: the rate and offset change at each changepoint at or before t. */
export function trendAt(p: Predictor, t: number): number {
  let k = p.k;
  let m = p.m;
  for (let j = 0; j < p.changepoints.length; j++) {
    const c = p.changepoints[j]!;
    if (c <= t) {
      k += p.delta[j]!;
      m += -c * p.delta[j]!;
    }
  }
  return t * k + m;
}

/** augurs' time of a day number: t = 0 at the first training day, 1 at the last. */
export const timeOf = (p: Predictor, day: number): number => ((day - p.startDay) * DAY_SECONDS) / p.tScale;

// Scratch space reused across forecasts (one thread runs one forecast at a time).
let drawsBuffer = new Float64Array(0);
let slopeBuffer = new Float64Array(0);
let offsetBuffer = new Float64Array(0);
const pairBuffer = new Float64Array(2);

/**
 * The largest expected number of trend changes before the first day asked that a sample simulates
 * one by one; beyond it their sum is drawn at once (see intervals). Past 16 the sum's excess kurtosis
 * (6 / 16) moves the 97.5% quantile of the trend's part by about 1%, below the Monte Carlo error of
 * 1,000 samples; and a week anywhere ahead then costs at most ~24 forecast days.
 */
export const EXACT_CHANGES = 16;

/** How the interval is sampled; tests and the coverage bench compare the two ways. */
export interface IntervalOptions {
  /** Overrides EXACT_CHANGES: Infinity simulates every change, as augurs does. */
  exactChanges?: number;
}

/**
 * Draws `changes` rate changes at uniform points of [from, tMax] with Laplace deltas, into slope and
 * offset at the first day at or after each (t sorted ascending). Answers the first day touched (n: none).
 */
function placeChanges(
  p: Predictor,
  t: Float64Array,
  changes: number,
  from: number,
  rng: Rng,
  slope: Float64Array,
  offset: Float64Array,
): number {
  const n = t.length;
  const span = t[n - 1]! - from;
  let first = n;
  for (let c = 0; c < changes; c++) {
    const at = from + rng.uniform() * span;
    const delta = laplace(p.laplaceScale, rng);
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (t[mid]! < at) lo = mid + 1;
      else hi = mid;
    }
    if (lo === n) continue;
    slope[lo] = slope[lo]! + delta;
    offset[lo] = offset[lo]! - delta * at;
    if (lo < first) first = lo;
  }
  return first;
}

/**
 * The interval of each day from `samples` simulated futures, as augurs' `sample_posterior_predictive`:
 * each adds rate changes at new changepoints (a Poisson process of rate n_cp on [1, t_max], Laplace
 * deltas) to the trend and Normal(0, sigma_obs) noise. Everything else in a sample equals the point
 * forecast, so only the offset from it is drawn, in scaled units; `t` is sorted ascending.
 *
 * The changes before the first day asked (t0) add K (t - t0) + D to every day asked, K the sum of
 * their deltas and D of delta (t0 - at). Far past the history there are hundreds of them a sample
 * (25 a training window's length), so drawing them one by one made a question's cost grow with its
 * distance. Beyond `exactChanges` expected, (K, D) is drawn at once from its normal limit: a compound
 * Poisson sum with mean 0, Var K = c, Cov = c L / 2, Var D = c L^2 / 3, where c = n_cp (t0 - 1) 2 b^2
 * (b the Laplace scale) and L = t0 - 1. The changes among the days asked are still drawn one by one,
 * so the cost follows the days asked, not their distance.
 */
function intervals(
  p: Predictor,
  t: Float64Array,
  rng: Rng,
  opts: IntervalOptions,
): { lo: Float64Array; hi: Float64Array } {
  const n = t.length;
  const S = p.samples;
  if (drawsBuffer.length < n * S) drawsBuffer = new Float64Array(n * S);
  if (slopeBuffer.length < n) {
    slopeBuffer = new Float64Array(n);
    offsetBuffer = new Float64Array(n);
  }
  // Locals: V8 keeps them in registers, module variables it reloads.
  const draws = drawsBuffer;
  const slope = slopeBuffer;
  const offset = offsetBuffer;
  // Day i's draws are draws[i * S, (i + 1) * S).
  fillNormal(draws, 0, n * S, p.sigmaObs, rng);
  const tMax = t[n - 1]!;
  if (tMax > 1) {
    const rate = p.changepoints.length;
    const t0 = Math.max(1, t[0]!);
    const before = rate * (t0 - 1);
    // Up to this bound every change is drawn, from t = 1: the same draws as before the bound existed.
    const summarise = before > (opts.exactChanges ?? EXACT_CHANGES);
    const from = summarise ? t0 : 1;
    const changesOf = new Poisson(rate * (tMax - from));
    const sdK = Math.sqrt(2 * before) * p.laplaceScale;
    const sdD = sdK * (t0 - 1);
    const z = pairBuffer;
    for (let s = 0; s < S; s++) {
      let k = 0;
      let m = 0;
      let first = n;
      if (summarise) {
        fillNormal(z, 0, 2, 1, rng);
        const sumK = sdK * z[0]!;
        const sumD = sdD * (z[0]! / 2 + z[1]! / Math.sqrt(12));
        // K (t - t0) + D = K t + (D - K t0).
        k = sumK;
        m = sumD - sumK * t0;
        first = 0;
      }
      const changes = changesOf.draw(rng);
      if (changes > 0) first = Math.min(first, placeChanges(p, t, changes, from, rng, slope, offset));
      for (let i = first; i < n; i++) {
        k += slope[i]!;
        m += offset[i]!;
        slope[i] = 0;
        offset[i] = 0;
        draws[i * S + s] = draws[i * S + s]! + k * t[i]! + m;
      }
    }
  }
  const lowerP = (100 * (1 - p.intervalWidth)) / 2;
  const upperP = (100 * (1 + p.intervalWidth)) / 2;
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  const pair = new Float64Array(2);
  // Thresholds a little inside each day's bounds speed percentiles up: for the first day from the
  // noise alone (about the 5.5% and 94.5% quantiles), then from the day before (days differ little).
  let lowGuess = -1.6 * p.sigmaObs;
  let highGuess = 1.6 * p.sigmaObs;
  for (let i = 0; i < n; i++) {
    percentiles(draws, i * S, (i + 1) * S, lowerP, upperP, pair, lowGuess, highGuess);
    lo[i] = pair[0]!;
    hi[i] = pair[1]!;
    const margin = 0.1 * (hi[i]! - lo[i]!);
    lowGuess = lo[i]! + margin;
    highGuess = hi[i]! - margin;
  }
  return { lo, hi };
}

/** The seed of one question: the predictor's and the open days asked, with their regressor values. */
function questionSeed(p: Predictor, open: readonly { day: number; d: PlanDay }[]): number {
  let h = hashWord(p.seed, open.length);
  for (const o of open) {
    h = hashWord(h, o.day);
    for (const r of p.regressors) h = hashWord(h, REGRESSOR_VALUE[r.name](o.d));
  }
  return h;
}

/**
 * The work of forecasting `days` from `p`, in units of one forecast day (a sample of 1,000 draws and
 * its percentiles): each day, plus the trend changes each sample simulates one by one, each costing
 * about as much as a day: those among the days asked (n_cp x their span in t), and those before
 * them while there are at most EXACT_CHANGES (intervals). So the cost follows the days asked, not
 * how far ahead they are. The model threads' chunking and fair share count this (pool.server.ts).
 */
export function forecastCost(p: Predictor, days: readonly PlanDay[], opts: IntervalOptions = {}): number {
  const first = days.length > 0 ? parseDay(days[0]!.date) : undefined;
  const last = days.length > 0 ? parseDay(days[days.length - 1]!.date) : undefined;
  if (first === undefined || last === undefined) return Math.max(1, days.length);
  const rate = p.changepoints.length;
  const t0 = Math.max(1, timeOf(p, Math.min(first, last)));
  const tMax = timeOf(p, Math.max(first, last));
  if (tMax <= 1) return Math.max(1, days.length);
  const before = rate * (t0 - 1);
  const from = before > (opts.exactChanges ?? EXACT_CHANGES) ? t0 : 1;
  return Math.max(1, days.length + rate * (tMax - from));
}

/**
 * Forecasts `days` as prophet.server.ts forecasts from a stored model: days the plan marks closed
 * are exactly 0; open days are predicted together (the interval's t_max is theirs), clamped at 0.
 * Deterministic: the draws are seeded from the predictor and the question, unless `rng` is given.
 */
export function forecastWithPredictor(
  p: Predictor,
  days: readonly PlanDay[],
  rng?: Rng,
  opts: IntervalOptions = {},
): ForecastPoint[] {
  const out: ForecastPoint[] = days.map((d) => ({ date: d.date, value: 0, lower: 0, upper: 0 }));
  const open = openDaysOf(days);
  if (open.length === 0) return out;
  const n = open.length;
  const t = new Float64Array(n);
  const point = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const { d, day } = open[j]!;
    const tj = ((day - p.startDay) * DAY_SECONDS) / p.tScale;
    t[j] = tj;
    let features = fourier(p.yearly, SEASONALITIES.yearly.period, day);
    features += fourier(p.weekly, SEASONALITIES.weekly.period, day);
    for (const r of p.regressors) features += r.beta * ((REGRESSOR_VALUE[r.name](d) - r.mu) / r.std);
    // All components additive (augurs' default): trend + features, both in units of yScale.
    point[j] = trendAt(p, tj) * p.yScale + features * p.yScale;
  }
  const { lo, hi } = intervals(p, t, rng ?? new Rng(questionSeed(p, open)), opts);
  for (let j = 0; j < n; j++) {
    const v = point[j]!;
    // Sales cannot be negative: clamp the forecast and its interval at 0.
    out[open[j]!.i] = {
      date: open[j]!.d.date,
      value: Math.max(0, v),
      lower: Math.max(0, v + p.yScale * lo[j]!),
      upper: Math.max(0, v + p.yScale * hi[j]!),
    };
  }
  return out;
}
