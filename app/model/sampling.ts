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
 * Monte Carlo quantiles. Not pure-rand's xoroshiro128+ (about as fast, measured): the lowest bits
 * of a "+" generator are its weakest, and the ziggurats pick their layer from the lowest bits.
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

// The ziggurat for Exponential(1), 256 layers (Marsaglia and Tsang again): no log on the fast path.
const EXP_R = 7.697117470131487;
const expK = new Uint32Array(256);
const expW = new Float64Array(256);
const expF = new Float64Array(256);
{
  const m2 = 4294967296;
  const ve = 3.949659822581572e-3;
  let de = EXP_R;
  let te = de;
  const q = ve / Math.exp(-de);
  expK[0] = (de / q) * m2;
  expK[1] = 0;
  expW[0] = q / m2;
  expW[255] = de / m2;
  expF[0] = 1;
  expF[255] = Math.exp(-de);
  for (let i = 254; i >= 1; i--) {
    de = -Math.log(ve / de + Math.exp(-de));
    expK[i + 1] = (de / te) * m2;
    te = de;
    expF[i] = Math.exp(-de);
    expW[i] = de / m2;
  }
}

/** An Exponential(1) draw. */
export function exponential(rng: Rng): number {
  let jz = rng.int() >>> 0;
  let iz = jz & 255;
  if (jz < expK[iz]!) return jz * expW[iz]!;
  for (;;) {
    if (iz === 0) return EXP_R - Math.log(1 - rng.uniform());
    const x = jz * expW[iz]!;
    if (expF[iz]! + rng.uniform() * (expF[iz - 1]! - expF[iz]!) < Math.exp(-x)) return x;
    jz = rng.int() >>> 0;
    iz = jz & 255;
    if (jz < expK[iz]!) return jz * expW[iz]!;
  }
}

/** Laplace(0, scale): an exponential of either sign (statrs inverts the CDF; the same law). */
export function laplace(scale: number, rng: Rng): number {
  return (rng.int() < 0 ? -scale : scale) * exponential(rng);
}

/** The CDF of Poisson(lambda) up to where it reaches 1 within 2^-33, the last entry set to 1. */
function poissonCdf(lambda: number): Float64Array {
  const cdf: number[] = [];
  let pmf = Math.exp(-lambda);
  let sum = pmf;
  for (let k = 1; sum < 1 - 2 ** -33 && k < 10_000; k++) {
    cdf.push(sum);
    pmf *= lambda / k;
    sum += pmf;
  }
  cdf.push(1);
  return Float64Array.from(cdf);
}

const PIECE = 16;
const PIECE_CDF = poissonCdf(PIECE);

/**
 * Poisson(lambda) draws by inversion of its CDF, one uniform a draw; a large lambda as a sum of
 * Poissons of at most 16 (tables stay short). Exact but for the tail beyond 1 - 2^-33, below the
 * uniforms' resolution.
 */
export class Poisson {
  private readonly pieces: number;
  private readonly rest: Float64Array;
  constructor(lambda: number) {
    this.pieces = Math.max(0, Math.ceil(lambda / PIECE) - 1);
    this.rest = poissonCdf(lambda - this.pieces * PIECE);
  }

  draw(rng: Rng): number {
    let n = invert(this.rest, rng.uniform());
    for (let j = 0; j < this.pieces; j++) n += invert(PIECE_CDF, rng.uniform());
    return n;
  }
}

function invert(cdf: Float64Array, u: number): number {
  let k = 0;
  while (u >= cdf[k]!) k++;
  return k;
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

// Scratch for percentiles: the values at or beyond each guessed threshold.
let below = new Float64Array(0);
let above = new Float64Array(0);

/** The value of rank r (ascending, 0-based) among b[0, n); reorders b. */
function rankIn(b: Float64Array, n: number, r: number): number {
  select(b, 0, n, r);
  return b[r]!;
}

/**
 * Rust's `percentile_of_sorted` (augurs' interval) of a[from, to) at two percentiles, low <= high,
 * into out[0] and out[1], without sorting. With thresholds guessed a little inside the answers
 * (lowGuess < highGuess), one pass collects the few values beyond them and selection finds the ranks
 * among those; when a guess leaves too few, or without guesses, one pass keeps the smallest and
 * largest values the ranks need (26 of 1000 each for a 95% interval). Wide ranks fall back to
 * selection over the whole range, which reorders a[from, to).
 */
export function percentiles(
  a: Float64Array,
  from: number,
  to: number,
  low: number,
  high: number,
  out: Float64Array,
  lowGuess = Number.NaN,
  highGuess = Number.NaN,
): void {
  const n = to - from;
  const rankOf = (pct: number) => (pct === 100 ? n - 1 : Math.floor((pct / 100) * (n - 1)));
  const mLow = Math.min(n, rankOf(low) + 2);
  const mHigh = Math.min(n, n - rankOf(high));
  if (lowGuess < highGuess) {
    if (below.length < n) {
      below = new Float64Array(n);
      above = new Float64Array(n);
    }
    const b = below;
    const c = above;
    let nb = 0;
    let nc = 0;
    for (let i = from; i < to; i++) {
      const x = a[i]!;
      if (x <= lowGuess) b[nb++] = x;
      else if (x >= highGuess) c[nc++] = x;
    }
    // Every value <= lowGuess is among the nb smallest, every value >= highGuess among the nc largest.
    if (nb >= mLow && nc >= mHigh) {
      out[0] = interpolate(n, low, (r) => rankIn(b, nb, r));
      out[1] = interpolate(n, high, (r) => rankIn(c, nc, r - (n - nc)));
      return;
    }
  }
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
