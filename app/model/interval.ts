/**
 * The predictor's 95% band (predictor.ts): augurs' `sample_posterior_predictive` reproduced with
 * seeded draws (sampling.ts), the trend changes before the days asked summed where many (ADR 37).
 * Pure; one forecast at a time per thread (scratch buffers are reused).
 */
import { fillNormal, laplace, Poisson, percentiles, type Rng } from "./sampling.js";

/** What the band needs of a predictor (predictor.ts's Predictor has it): its noise and trend changes. */
export interface BandModel {
  sigmaObs: number;
  changepoints: readonly number[];
  laplaceScale: number;
  intervalWidth: number;
  samples: number;
}

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
  p: BandModel,
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
export function intervals(
  p: BandModel,
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
