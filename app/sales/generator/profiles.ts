/**
 * Store and product profiles: the hidden parameters each generated store and product draws from its
 * own random stream (size, basket, trend, promo lift, weekday habits, state), and the product names.
 */
import { DEFAULT_PRODUCT, type StoreRow } from "../../rossmann.js";
import type { GenerateOptions } from "./options.js";
import { Purpose, streamFor } from "./random.js";

export type StoreType = "a" | "b" | "c" | "d";
export type Assortment = "a" | "b" | "c";

/** Hidden per-store parameters; only store, storeType and assortment are written out. */
export interface StoreProfile {
  store: number;
  storeType: StoreType;
  assortment: Assortment;
  /** German state code (Kaggle's store_states.csv style); drives holidays. */
  state: string;
  stateIndex: number;
  /** Typical open-day sales at the end date before weekday, promo and season effects. */
  baseSales: number;
  /** Average sales per customer (EUR). */
  basket: number;
  /** Log-growth per year. */
  trendPerYear: number;
  promoLift: number;
  saturdayFactor: number;
  sundayOpen: boolean;
}

export interface ProductProfile {
  name: string;
  index: number;
  salesFactor: number;
  basketFactor: number;
  /** Sd of the product's own daily log-noise. */
  noiseSd: number;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

/** product_A ... product_Z, product_AA, ... (spreadsheet-style letters). */
export function productName(index: number): string {
  let n = index + 1;
  let letters = "";
  while (n > 0) {
    const r = (n - 1) % 26;
    letters = String.fromCharCode(65 + r) + letters;
    n = Math.floor((n - 1) / 26);
  }
  return `product_${letters}`;
}

export function productNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => productName(i));
}

/** Kaggle's 12 states (HB and NI share holidays), weighted by their Rossmann store counts. */
export const STATES = [
  { code: "NW", weight: 284 },
  { code: "BY", weight: 180 },
  { code: "SH", weight: 114 },
  { code: "HE", weight: 112 },
  { code: "BE", weight: 92 },
  { code: "SN", weight: 75 },
  { code: "HB,NI", weight: 71 },
  { code: "BW", weight: 66 },
  { code: "RP", weight: 40 },
  { code: "TH", weight: 36 },
  { code: "HH", weight: 28 },
  { code: "ST", weight: 27 },
] as const;
const STATE_WEIGHT_TOTAL = STATES.reduce((s, x) => s + x.weight, 0);

/** Median of the store-size lognormal; tuned so open-day sales average about Kaggle's 6,900. */
const BASE_SALES_MEDIAN = 5300;
const BASE_SALES_SIGMA = 0.5;
const BASKET_BY_TYPE: Record<StoreType, number> = { a: 8.6, b: 5.2, c: 9.0, d: 11.0 };

export function storeProfile(seed: number, store: number): StoreProfile {
  const r = streamFor(seed, Purpose.Store, store);
  // Draw everything up front, in a fixed order, so adding a parameter later cannot shift the others.
  const uType = r.uniform();
  const uAssort = r.uniform();
  const uState = r.uniform();
  const uSunday = r.uniform();
  const zSize = r.normal();
  const zBasket = r.normal();
  const zTrend = r.normal();
  const zPromo = r.normal();
  const zSaturday = r.normal();

  const storeType: StoreType = uType < 0.54 ? "a" : uType < 0.56 ? "b" : uType < 0.69 ? "c" : "d";
  // Kaggle: assortment b ("extra") only exists in type b stores.
  const assortment: Assortment =
    storeType === "b" ? (uAssort < 0.55 ? "b" : uAssort < 0.9 ? "a" : "c") : uAssort < 0.53 ? "a" : "c";

  let acc = 0;
  let stateIndex = 0;
  for (; stateIndex < STATES.length - 1; stateIndex++) {
    acc += STATES[stateIndex]!.weight / STATE_WEIGHT_TOTAL;
    if (uState < acc) break;
  }
  const st = STATES[stateIndex]!;

  const typeSize = storeType === "b" ? 1.6 : 1;
  const assortSize = assortment === "c" ? 1.05 : 1;
  const baseSales = clamp(BASE_SALES_MEDIAN * Math.exp(BASE_SALES_SIGMA * zSize) * typeSize * assortSize, 1400, 22_000);
  const basket = BASKET_BY_TYPE[storeType] * (assortment === "c" ? 1.05 : 1) * Math.exp(0.1 * clamp(zBasket, -3, 3));

  return {
    store,
    storeType,
    assortment,
    state: st.code,
    stateIndex,
    baseSales,
    basket,
    trendPerYear: clamp(0.03 * zTrend, -0.08, 0.08),
    promoLift: 1.25 * Math.exp(0.04 * clamp(zPromo, -2.5, 2.5)),
    saturdayFactor: clamp(0.93 * Math.exp(0.08 * zSaturday), 0.72, 1.15),
    // Train-station style type b stores trade on Sundays; a handful of others do too.
    sundayOpen: storeType === "b" || uSunday < 0.015,
  };
}

export function generateStoreProfiles(opts: Pick<GenerateOptions, "stores" | "seed">): StoreProfile[] {
  return Array.from({ length: opts.stores }, (_, i) => storeProfile(opts.seed, i + 1));
}

export function toStoreRow(p: StoreProfile): StoreRow {
  return { store: p.store, store_type: p.storeType, assortment: p.assortment };
}

export function generateStores(opts: Pick<GenerateOptions, "stores" | "seed">): StoreRow[] {
  return generateStoreProfiles(opts).map(toStoreRow);
}

export function productProfile(seed: number, index: number): ProductProfile {
  if (index === 0) return { name: DEFAULT_PRODUCT, index, salesFactor: 1, basketFactor: 1, noiseSd: 0.08 };
  const r = streamFor(seed, Purpose.Product, index);
  const zFactor = r.normal();
  const zBasket = r.normal();
  const uNoise = r.uniform();
  return {
    name: productName(index),
    index,
    salesFactor: clamp(0.6 * Math.exp(0.5 * zFactor), 0.1, 2.5),
    basketFactor: clamp(Math.exp(0.2 * zBasket), 0.5, 2),
    noiseSd: 0.06 + 0.12 * uNoise,
  };
}
