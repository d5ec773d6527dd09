/**
 * The random draws and order statistics behind the predictor's interval (predictor.ts): a small
 * seeded generator, the distributions augurs samples from (normal, Laplace, Poisson) and Rust's
 * `percentile_of_sorted` without sorting. Pure; hot loops, so no allocation per draw.
 */

function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds 32-bit words into a hash; chain calls to hash a sequence. */
export function hashWord(h: number, word: number): number {
  return mix32(h ^ mix32((word + 0x632be5ab) | 0));
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Folds a double's exact bits into a hash. */
export function hashNumber(h: number, x: number): number {
  f64[0] = x;
  return hashWord(hashWord(h, u32[0]!), u32[1]!);
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/**
 * xoshiro128**, seeded through a hash: small, fast with 32-bit integer ops, and good enough for
 * Monte Carlo quantiles. A class, not a closure or pure-rand's immutable generators: V8 inlines its
 * methods, about twice as fast per draw.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = mix32(seed + 1) | 0;
    this.b = mix32(seed + 2) | 0;
    this.c = mix32(seed + 3) | 0;
    this.d = mix32(seed + 4) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1;
  }

  /** 32 random bits as a signed integer. */
  int(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9);
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** Uniform on [0, 1). */
  uniform(): number {
    return (this.int() >>> 0) / 4294967296;
  }
}

// Marsaglia and Tsang's ziggurat (2000), 128 layers: a normal draw is one uniform and a table
// lookup 99% of the time, several times faster than Box-Muller's log, sqrt and sin/cos.
const ZIG_R = 3.442619855899;
const zigK = new Uint32Array(128);
const zigW = new Float64Array(128);
const zigF = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  zigK[0] = (dn / q) * m1;
  zigK[1] = 0;
  zigW[0] = q / m1;
  zigW[127] = dn / m1;
  zigF[0] = 1;
  zigF[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    zigK[i + 1] = (dn / tn) * m1;
    tn = dn;
    zigF[i] = Math.exp(-0.5 * dn * dn);
    zigW[i] = dn / m1;
  }
}

/** The ziggurat's slow path: the wedges and the tail beyond ZIG_R. */
function normalSlow(hz: number, iz: number, rng: Rng): number {
  for (;;) {
    const x = hz * zigW[iz]!;
    if (iz === 0) {
      let tx: number;
      let ty: number;
      do {
        tx = -Math.log(1 - rng.uniform()) / ZIG_R;
        ty = -Math.log(1 - rng.uniform());
      } while (ty + ty < tx * tx);
      return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
    }
    if (zigF[iz]! + rng.uniform() * (zigF[iz - 1]! - zigF[iz]!) < Math.exp(-0.5 * x * x)) return x;
    hz = rng.int();
    iz = hz & 127;
    if (Math.abs(hz) < zigK[iz]!) return hz * zigW[iz]!;
  }
}

/** Fills out[from, to) with Normal(0, sigma) draws. */
export function fillNormal(out: Float64Array, from: number, to: number, sigma: number, rng: Rng): void {
  for (let i = from; i < to; i++) {
    // Its low 7 bits pick the layer.
    const hz = rng.int();
    const iz = hz & 127;
    out[i] = sigma * (Math.abs(hz) < zigK[iz]! ? hz * zigW[iz]! : normalSlow(hz, iz, rng));
  }
}

/** Laplace(0, scale) by inversion, as statrs samples it. */
export function laplace(scale: number, rng: Rng): number {
  const x = rng.uniform() - 0.5;
  // uniform() = 0 exactly would give log(0).
  const tail = Math.max(1 - 2 * Math.abs(x), Number.MIN_VALUE);
  return x < 0 ? scale * Math.log(tail) : -scale * Math.log(tail);
}

/**
 * Poisson(lambda) exactly, as a sum of Poissons of at most 16 each, by Knuth's product of uniforms:
 * O(lambda) draws, no more than the changepoints it counts need anyway. Returns the sampler's
 * limits, exp(-piece) per piece, computed once per lambda.
 */
export function poissonLimits(lambda: number): Float64Array {
  const pieces: number[] = [];
  for (let rest = lambda; rest > 0; rest -= 16) pieces.push(Math.exp(-Math.min(rest, 16)));
  return Float64Array.from(pieces);
}

export function poisson(limits: Float64Array, rng: Rng): number {
  let n = 0;
  for (let j = 0; j < limits.length; j++) {
    const limit = limits[j]!;
    let p = rng.uniform();
    while (p > limit) {
      n++;
      p *= rng.uniform();
    }
  }
  return n;
}

/** Rearranges a[from, to) so that a[k] holds its sorted value, smaller ones before, larger after. */
function select(a: Float64Array, from: number, to: number, k: number): void {
  let lo = from;
  let hi = to - 1;
  while (hi > lo) {
    // Median of three as the pivot, then Hoare's partition.
    const mid = (lo + hi) >>> 1;
    const x = a[lo]!;
    const y = a[mid]!;
    const z = a[hi]!;
    const pivot = Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const s = a[i]!;
        a[i] = a[j]!;
        a[j] = s;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return;
  }
}

/** Rust's `percentile_of_sorted` given the order statistics around its rank: sorted(r) for r in [0, n). */
function interpolate(n: number, pct: number, sorted: (r: number) => number): number {
  if (n === 1) return sorted(0);
  if (pct === 100) return sorted(n - 1);
  const rank = (pct / 100) * (n - 1);
  const lrank = Math.floor(rank);
  const lo = sorted(lrank);
  return lo + (sorted(lrank + 1) - lo) * (rank - lrank);
}

// The smallest and largest values seen by percentiles, each kept sorted from the extreme inwards.
let smallest = new Float64Array(0);
let largest = new Float64Array(0);

/** Puts x into sorted b[0, j] (b[j] is free or dropped). */
function insertAscending(b: Float64Array, j: number, x: number): void {
  for (; j > 0 && b[j - 1]! > x; j--) b[j] = b[j - 1]!;
  b[j] = x;
}

function insertDescending(b: Float64Array, j: number, x: number): void {
  for (; j > 0 && b[j - 1]! < x; j--) b[j] = b[j - 1]!;
  b[j] = x;
}

/**
 * Rust's `percentile_of_sorted` (augurs' interval) of a[from, to) at two percentiles, low <= high,
 * into out[0] and out[1], without sorting: one pass keeps the few smallest and largest values the
 * ranks need (26 of 1000 each for a 95% interval); wide ranks fall back to selection, which
 * reorders a[from, to).
 */
export function percentiles(
  a: Float64Array,
  from: number,
  to: number,
  low: number,
  high: number,
  out: Float64Array,
): void {
  const n = to - from;
  const rankOf = (pct: number) => (pct === 100 ? n - 1 : Math.floor((pct / 100) * (n - 1)));
  const mLow = Math.min(n, rankOf(low) + 2);
  const mHigh = Math.min(n, n - rankOf(high));
  if ((mLow + mHigh) * 8 > n) {
    const at = (r: number) => {
      select(a, from, to, from + r);
      return a[from + r]!;
    };
    out[0] = interpolate(n, low, at);
    out[1] = interpolate(n, high, at);
    return;
  }
  if (smallest.length < mLow) smallest = new Float64Array(mLow);
  if (largest.length < mHigh) largest = new Float64Array(mHigh);
  const small = smallest;
  const large = largest;
  // Seeded with the first values, sorted; then a value enters only if it beats the current bound.
  for (let i = 0; i < mLow; i++) insertAscending(small, i, a[from + i]!);
  for (let i = 0; i < mHigh; i++) insertDescending(large, i, a[from + i]!);
  let lowBound = small[mLow - 1]!;
  let highBound = large[mHigh - 1]!;
  for (let i = from + mLow; i < to; i++) {
    const x = a[i]!;
    if (x < lowBound) {
      insertAscending(small, mLow - 1, x);
      lowBound = small[mLow - 1]!;
    }
  }
  for (let i = from + mHigh; i < to; i++) {
    const x = a[i]!;
    if (x > highBound) {
      insertDescending(large, mHigh - 1, x);
      highBound = large[mHigh - 1]!;
    }
  }
  out[0] = interpolate(n, low, (r) => small[r]!);
  out[1] = interpolate(n, high, (r) => large[n - 1 - r]!);
}
