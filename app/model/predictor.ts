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
import { EXACT_CHANGES, type IntervalOptions, intervals } from "./interval.js";
import { hashNumber, hashWord, Rng } from "./sampling.js";
import { dayOf, openDaysOf, REGRESSOR_VALUE } from "./training-series.js";

const DAY_SECONDS = 86_400;
// augurs' defaults, which newProphet (prophet.server.ts) leaves alone.
const N_CHANGEPOINTS = 25;
const CHANGEPOINT_RANGE = 0.8;
const UNCERTAINTY_SAMPLES = 1000;

export { EXACT_CHANGES, type IntervalOptions };
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
