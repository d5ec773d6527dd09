/**
 * Seeded randomness for the generator. Everything random comes from pure-rand streams keyed by
 * (seed, purpose, store, ...), so a store's attributes and series do not depend on how many stores
 * or products are generated.
 */
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

function mix32(x: number): number {
  let h = x | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stream keys: one independent stream family per purpose. */
export const Purpose = { Store: 1, Series: 2, Refurbishment: 3, Product: 4, Events: 5 } as const;

/** Uniforms and Box-Muller normals over one pure-rand stream. */
export class Rand {
  private spare = Number.NaN;
  constructor(private readonly rng: RandomGenerator) {}

  /** Uniform in (0, 1): never 0, so log() in Box-Muller is safe. */
  uniform(): number {
    return ((this.rng.next() >>> 0) + 0.5) / 4294967296;
  }

  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = Number.NaN;
      return s;
    }
    const r = Math.sqrt(-2 * Math.log(this.uniform()));
    const theta = 2 * Math.PI * this.uniform();
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }
}

/**
 * An independent stream per key tuple. Seeding xoroshiro from hashed keys (rather than its plain
 * seed constructor, whose first outputs echo the seed) keeps neighbouring stores uncorrelated.
 */
export function streamFor(seed: number, ...keys: number[]): Rand {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ Math.floor(seed / 4294967296));
  for (const k of keys) h = mix32(h ^ mix32(k + 0x632be5ab));
  const state = [mix32(h + 0x1), mix32(h + 0x2), mix32(h + 0x3), mix32(h + 0x4)].map((v) => v | 0);
  // xoroshiro's one forbidden state.
  if (!state.some((v) => v !== 0)) state[0] = 1;
  return new Rand(xoroshiro128plusFromState(state));
}
