import { describe, expect, it } from "vitest";
import { fillNormal, laplace, Poisson, percentiles, Rng } from "../../../app/model/sampling.js";

/** Rust's `percentile_of_sorted` (augurs' predict.rs), literally. */
function percentileOfSorted(sorted: Float64Array, pct: number): number {
  if (sorted.length === 1) return sorted[0]!;
  if (pct === 100) return sorted[sorted.length - 1]!;
  const rank = (pct / 100) * (sorted.length - 1);
  const lrank = Math.floor(rank);
  const lo = sorted[lrank]!;
  return lo + (sorted[lrank + 1]! - lo) * (rank - lrank);
}

const mean = (xs: ArrayLike<number>) => Array.from(xs).reduce((s, x) => s + x, 0) / xs.length;
function variance(xs: ArrayLike<number>): number {
  const m = mean(xs);
  return mean(Array.from(xs, (x) => (x - m) ** 2));
}

describe("percentiles", () => {
  it("equals percentile_of_sorted of the sorted values, ties and edge ranks included", () => {
    const rng = new Rng(3);
    const out = new Float64Array(2);
    // augurs' 95% interval: 100 * (1 - 0.95) / 2 is a hair above 2.5.
    const pairs = [
      [(100 * (1 - 0.95)) / 2, (100 * (1 + 0.95)) / 2],
      [0, 100],
      [10, 90],
      [25, 75],
      [49, 51],
    ];
    for (const n of [1, 2, 3, 39, 200, 1000, 1001]) {
      for (const ties of [false, true]) {
        const a = new Float64Array(n);
        fillNormal(a, 0, n, 1, rng);
        if (ties) for (let i = 0; i < n; i++) a[i] = Math.round(a[i]! * 2);
        const sorted = Float64Array.from(a).sort();
        for (const [low, high] of pairs) {
          const want = [percentileOfSorted(sorted, low!), percentileOfSorted(sorted, high!)];
          percentiles(a, 0, n, low!, high!, out);
          expect([out[0], out[1]]).toEqual(want);
          // Guessed thresholds, good (a little inside), exact, too far inside, outside, crossed: the same answer.
          for (const [g0, g1] of [
            [-1.6, 1.6],
            [want[0]!, want[1]!],
            [-0.1, 0.1],
            [-9, 9],
            [1, -1],
            [2, 3],
          ]) {
            percentiles(a, 0, n, low!, high!, out, g0, g1);
            expect([out[0], out[1]]).toEqual(want);
          }
        }
      }
    }
  });

  it("reads only its range of a larger array", () => {
    const a = Float64Array.from({ length: 300 }, (_, i) => (i < 100 || i >= 200 ? 1e9 : i));
    const out = new Float64Array(2);
    percentiles(a, 100, 200, 0, 100, out);
    expect([out[0], out[1]]).toEqual([100, 199]);
  });
});

describe("draws", () => {
  const N = 200_000;

  it("normal: mean 0, the sigma asked, 5% beyond 1.96 sigma", () => {
    const a = new Float64Array(N);
    fillNormal(a, 0, N, 2, new Rng(1));
    expect(Math.abs(mean(a))).toBeLessThan(0.02);
    expect(Math.sqrt(variance(a))).toBeCloseTo(2, 1);
    const beyond = a.filter((x) => Math.abs(x) > 1.96 * 2).length / N;
    expect(Math.abs(beyond - 0.05)).toBeLessThan(0.003);
  });

  it("Laplace: mean 0, mean absolute value the scale, exponential tails", () => {
    const rng = new Rng(2);
    const a = Float64Array.from({ length: N }, () => laplace(0.5, rng));
    expect(Math.abs(mean(a))).toBeLessThan(0.01);
    expect(mean(a.map(Math.abs))).toBeCloseTo(0.5, 2);
    // P(|x| > 0.5 q) = e^-q.
    for (const q of [0.1, 1, 3, 6]) {
      const share = a.filter((x) => Math.abs(x) > 0.5 * q).length / N;
      expect(Math.abs(share - Math.exp(-q))).toBeLessThan(5 * Math.sqrt((Math.exp(-q) * (1 - Math.exp(-q))) / N));
    }
    expect(a.filter((x) => x > 0).length / N).toBeCloseTo(0.5, 2);
  });

  it("Poisson: mean and variance lambda, small and large", () => {
    const rng = new Rng(4);
    for (const lambda of [0.3, 1.7, 16, 75.5]) {
      const poisson = new Poisson(lambda);
      const a = Float64Array.from({ length: 50_000 }, () => poisson.draw(rng));
      expect(Math.abs(mean(a) - lambda)).toBeLessThan(5 * Math.sqrt(lambda / 50_000));
      expect(Math.abs(variance(a) / lambda - 1)).toBeLessThan(0.05);
    }
    expect(new Poisson(0).draw(rng)).toBe(0);
    // The probabilities themselves, for a small lambda: P(0) = e^-1.7, P(1) = 1.7 e^-1.7.
    const small = new Poisson(1.7);
    const draws = Array.from({ length: 100_000 }, () => small.draw(rng));
    for (const [k, p] of [
      [0, Math.exp(-1.7)],
      [1, 1.7 * Math.exp(-1.7)],
      [2, 1.445 * Math.exp(-1.7)],
    ] as const) {
      const share = draws.filter((d) => d === k).length / draws.length;
      expect(Math.abs(share - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / draws.length));
    }
  });

  it("the generator is seeded: the same seed, the same draws", () => {
    const draws = (seed: number) =>
      Array.from(
        { length: 5 },
        (
          (r) => () =>
            r.uniform()
        )(new Rng(seed)),
      );
    expect(draws(9)).toEqual(draws(9));
    expect(draws(9)).not.toEqual(draws(10));
    expect(draws(9).every((u) => u >= 0 && u < 1)).toBe(true);
  });
});
