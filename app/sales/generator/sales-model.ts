/**
 * Deterministic Rossmann-format data generator.
 *
 * Everything random comes from pure-rand streams keyed by (seed, purpose, store, ...), so a store's
 * attributes and series do not depend on how many stores or products are generated. Days are generated
 * newest first (the order of Kaggle's train.csv), so for a fixed end date the newest N days are identical
 * whatever --days is.
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";
import { DAY_MS, formatDay, isoWeekday, parseDay } from "../../days.js";
import {
  CALENDAR_COLUMNS,
  type CalendarRow,
  DEFAULT_PRODUCT,
  PRODUCT_COLUMN,
  type SalesRow,
  STORE_COLUMNS,
  type StateHoliday,
  type StoreRow,
  TRAIN_COLUMNS,
} from "../../rossmann.js";

export interface GenerateOptions {
  stores: number;
  products: number;
  /** Total generated days, including the STREAM_DAYS newest ones. */
  days: number;
  /** Last generated day, YYYY-MM-DD. */
  endDate: string;
  seed: number;
}

export interface WriteGeneratedDataOptions extends GenerateOptions {
  outDir: string;
  /** Called after each generated day with sales rows written so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface GeneratedFiles {
  historyCsv: string;
  streamCsv: string;
  calendarCsv: string;
  storesCsv: string;
  historyRows: number;
  streamRows: number;
  calendarRows: number;
}

/** The newest days, held out of the history file: the stream's source. */
export const STREAM_DAYS = 10;
/** Planned days after the history file (Kaggle test.csv covers 6 weeks). */
export const CALENDAR_DAYS = 42;

export const GENERATED_FILE_NAMES = {
  history: "train_exclude_last_10d.csv",
  stream: "train_only_last_10d.csv",
  calendar: "test.csv",
  stores: "store.csv",
} as const;

/** Same bounds as the GENERATE_* environment variables, except days (the generator itself needs > STREAM_DAYS). */
export const OPTION_LIMITS = {
  stores: { min: 1, max: 100_000 },
  products: { min: 1, max: 100 },
  days: { min: STREAM_DAYS + 1, max: 5000 },
  seed: { min: 0, max: 2 ** 31 - 1 },
} as const;

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

export interface SalesDay {
  date: string;
  /** Sorted by store, then product. */
  rows: SalesRow[];
}

export interface PlannedDay extends CalendarRow {
  /** Kaggle test.csv Id, from 1. */
  id: number;
}

// ---------------------------------------------------------------------------------------------------
// Dates as integer days since 1970-01-01 (UTC): cheap arithmetic in the hot loop.

function dayOf(y: number, month: number, d: number): number {
  return Date.UTC(y, month - 1, d) / DAY_MS;
}

/** Easter Sunday (Gregorian), Meeus/Jones/Butcher algorithm. */
export function easterSunday(year: number): string {
  return formatDay(easterDay(year));
}

function easterDay(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const dayOfMonth = ((h + l - 7 * m + 114) % 31) + 1;
  return dayOf(year, month, dayOfMonth);
}

// ---------------------------------------------------------------------------------------------------
// Seeded randomness.

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
const Purpose = { Store: 1, Series: 2, Refurbishment: 3, Product: 4 } as const;

/** Uniforms and Box-Muller normals over one pure-rand stream. */
class Rand {
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
function streamFor(seed: number, ...keys: number[]): Rand {
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ Math.floor(seed / 4294967296));
  for (const k of keys) h = mix32(h ^ mix32(k + 0x632be5ab));
  const state = [mix32(h + 0x1), mix32(h + 0x2), mix32(h + 0x3), mix32(h + 0x4)].map((v) => v | 0);
  // xoroshiro's one forbidden state.
  if (!state.some((v) => v !== 0)) state[0] = 1;
  return new Rand(xoroshiro128plusFromState(state));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(x, lo), hi);
}

// ---------------------------------------------------------------------------------------------------
// Options.

export class GenerateOptionsError extends RangeError {
  override name = "GenerateOptionsError";
}

/** Throws GenerateOptionsError naming the first bad option. */
export function validateGenerateOptions(opts: GenerateOptions): void {
  for (const key of ["stores", "products", "days", "seed"] as const) {
    const { min, max } = OPTION_LIMITS[key];
    const v = opts[key];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new GenerateOptionsError(`${key}: expected an integer from ${min} to ${max} (got ${v})`);
    }
  }
  const end = parseDay(opts.endDate);
  if (end === undefined || end < dayOf(1900, 1, 1) || end > dayOf(2999, 12, 31)) {
    throw new GenerateOptionsError(
      `endDate: expected a date YYYY-MM-DD in years 1900-2999 (got ${JSON.stringify(opts.endDate)})`,
    );
  }
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

// ---------------------------------------------------------------------------------------------------
// Stores and products.

/** Kaggle's 12 states (HB and NI share holidays), weighted by their Rossmann store counts. */
const STATES = [
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

// ---------------------------------------------------------------------------------------------------
// Calendar: holidays, school holidays, promo, refurbishment closures.

const HOLIDAY_CODES: readonly StateHoliday[] = ["0", "a", "b", "c"];

/** Per-state state-holiday codes and school-holiday flags over a day range. */
class CalendarTables {
  readonly holiday: Uint8Array[];
  readonly school: Uint8Array[];

  constructor(
    readonly from: number,
    readonly to: number,
  ) {
    const n = to - from + 1;
    this.holiday = STATES.map(() => new Uint8Array(n));
    this.school = STATES.map(() => new Uint8Array(n));
    const y0 = new Date(from * DAY_MS).getUTCFullYear() - 1;
    const y1 = new Date(to * DAY_MS).getUTCFullYear();
    for (let y = y0; y <= y1; y++) {
      for (let s = 0; s < STATES.length; s++) {
        this.markHolidays(y, s);
        this.markSchool(y, s);
      }
    }
  }

  holidayCode(state: number, day: number): number {
    return this.holiday[state]![day - this.from] ?? 0;
  }

  isSchool(state: number, day: number): 0 | 1 {
    return this.school[state]![day - this.from] === 1 ? 1 : 0;
  }

  private set(table: Uint8Array, day: number, value: number): void {
    const i = day - this.from;
    if (i >= 0 && i < table.length) table[i] = value;
  }

  private markHolidays(y: number, s: number): void {
    const t = this.holiday[s]!;
    const code = STATES[s]!.code;
    const easter = easterDay(y);
    const a = 1;
    const b = 2;
    const c = 3;
    const national: Array<[number, number]> = [
      [dayOf(y, 1, 1), a],
      [easter - 2, b], // Good Friday
      [easter, b],
      [easter + 1, b], // Easter Monday
      [dayOf(y, 5, 1), a],
      [easter + 39, a], // Ascension
      [easter + 50, a], // Whit Monday
      [dayOf(y, 10, 3), a],
      [dayOf(y, 12, 25), c],
      [dayOf(y, 12, 26), c],
    ];
    for (const [d, v] of national) this.set(t, d, v);
    const inStates = (...codes: string[]) => codes.includes(code);
    if (inStates("BW", "BY", "ST")) this.set(t, dayOf(y, 1, 6), a); // Epiphany
    if (inStates("BE") && y >= 2019) this.set(t, dayOf(y, 3, 8), a); // Women's Day
    if (inStates("BW", "BY", "HE", "NW", "RP")) this.set(t, easter + 60, a); // Corpus Christi
    // Reformation Day: eastern states; the north joined in 2018; everyone in the 2017 jubilee year.
    if (inStates("SN", "ST", "TH") || y === 2017 || (y >= 2018 && inStates("HB,NI", "HH", "SH"))) {
      this.set(t, dayOf(y, 10, 31), a);
    }
    if (inStates("BW", "BY", "NW", "RP")) this.set(t, dayOf(y, 11, 1), a); // All Saints
    if (inStates("SN")) {
      // Repentance Day: the Wednesday between Nov 16 and 22.
      const nov22 = dayOf(y, 11, 22);
      this.set(t, nov22 - ((isoWeekday(nov22) - 3 + 7) % 7), a);
    }
  }

  private markSchool(y: number, s: number): void {
    const t = this.school[s]!;
    const code = STATES[s]!.code;
    const block = (start: number, days: number) => {
      for (let d = start; d < start + days; d++) this.set(t, d, 1);
    };
    // Monday on or after a day.
    const monday = (d: number) => d + ((8 - isoWeekday(d)) % 7);
    const easter = easterDay(y);
    // Christmas break, into the next year.
    block(dayOf(y, 12, 21 + (s % 3)), 15);
    // Winter week in February, for the states that have one.
    if (["BY", "SN", "TH", "ST", "BE", "HB,NI", "HH", "SH"].includes(code)) {
      block(monday(dayOf(y, 2, 1)) + 7 * ((s + y) % 4), 7);
    }
    // Easter: two weeks, some states start a week before Holy Week.
    block(easter - 8 - 7 * ((s + y) % 2), 16);
    if (code === "BY" || code === "BW") block(easter + 51, 12); // Pentecost break
    // Summer: six weeks plus the weekends around them, staggered between states and rotating by year
    // (BY and BW always go last, as in Germany).
    const slot = code === "BY" ? 6 : code === "BW" ? 5 : (s * 3 + y * 2) % 6;
    block(monday(dayOf(y, 6, 20)) + 7 * slot - 2, 44);
    // Autumn: one or two weeks in October.
    block(monday(dayOf(y, 10, 1)) + 7 * ((s + y) % 4) - 2, s % 2 === 0 ? 9 : 16);
  }
}

/** Promo runs Monday-Friday in alternating weeks, shared by all stores (anchored on a Kaggle promo week). */
const PROMO_ANCHOR_MONDAY = dayOf(2015, 7, 27);

function isPromo(day: number): 0 | 1 {
  const dow = isoWeekday(day);
  if (dow > 5) return 0;
  const week = Math.floor((day - PROMO_ANCHOR_MONDAY) / 7);
  return ((week % 2) + 2) % 2 === 0 ? 1 : 0;
}

const REFURB_EPOCH_DAYS = 365;
const REFURB_PROBABILITY = 0.03;
const REFURB_MAX_DAYS = 42;

/**
 * Refurbishment closures overlapping [from, to]. Each store gets at most one per absolute 365-day
 * epoch, decided by its own stream, so history and the planned calendar agree whatever the range.
 */
function refurbishments(seed: number, store: number, from: number, to: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  const e0 = Math.floor((from - REFURB_MAX_DAYS) / REFURB_EPOCH_DAYS);
  const e1 = Math.floor(to / REFURB_EPOCH_DAYS);
  for (let e = e0; e <= e1; e++) {
    const r = streamFor(seed, Purpose.Refurbishment, store, e);
    const hit = r.uniform() < REFURB_PROBABILITY;
    const start = e * REFURB_EPOCH_DAYS + Math.floor(r.uniform() * REFURB_EPOCH_DAYS);
    const length = 14 + Math.floor(r.uniform() * (REFURB_MAX_DAYS - 14 + 1));
    const end = start + length - 1;
    if (hit && end >= from && start <= to) out.push([start, end]);
  }
  return out;
}

/** What is known in advance about one store on one day. */
interface Plan {
  open: 0 | 1;
  promo: 0 | 1;
  holidayCode: number;
  school: 0 | 1;
}

class Planner {
  readonly tables: CalendarTables;
  private readonly closures: Array<Array<[number, number]>>;

  constructor(
    seed: number,
    readonly profiles: StoreProfile[],
    from: number,
    to: number,
  ) {
    // One spare day on each side for the "day before/after a holiday" effects.
    this.tables = new CalendarTables(from - 1, to + 1);
    this.closures = profiles.map((p) => refurbishments(seed, p.store, from, to));
  }

  plan(i: number, day: number, dow: number, promo: 0 | 1): Plan {
    const p = this.profiles[i]!;
    const holidayCode = this.tables.holidayCode(p.stateIndex, day);
    const school = this.tables.isSchool(p.stateIndex, day);
    let open: 0 | 1 = 1;
    if (holidayCode !== 0 || (dow === 7 && !p.sundayOpen)) open = 0;
    else {
      for (const [a, b] of this.closures[i]!) if (day >= a && day <= b) open = 0;
    }
    return { open, promo, holidayCode, school };
  }
}

// ---------------------------------------------------------------------------------------------------
// Sales.

/** Relative open-day sales by ISO weekday (Kaggle: Monday highest, Saturday lowest). Saturday is per store. */
const WEEKDAY_FACTOR = [0, 1.16, 1.01, 0.96, 0.96, 1.02, 0.84, 0.95];

/** Mid-month yearly shape (Jan..Dec), interpolated; December's pre-Christmas rush is added on top. */
const MONTH_FACTOR = [0.93, 0.95, 0.99, 1.0, 1.0, 1.0, 1.02, 0.99, 0.96, 0.97, 1.02, 1.06];

function seasonal(day: number): { sales: number; basket: number } {
  const dt = new Date(day * DAY_MS);
  const m = dt.getUTCMonth();
  const d = dt.getUTCDate();
  const dim = new Date(Date.UTC(dt.getUTCFullYear(), m + 1, 0)).getUTCDate();
  const pos = m + (d - 0.5) / dim - 0.5;
  const lo = Math.floor(pos);
  const frac = pos - lo;
  const f0 = MONTH_FACTOR[(lo + 12) % 12]!;
  const f1 = MONTH_FACTOR[(lo + 1) % 12]!;
  let sales = f0 + (f1 - f0) * frac;
  let rush = 1;
  if (m === 11) {
    // Sales climb through December towards Christmas; Christmas Eve and New Year's Eve are short days.
    if (d <= 23) rush = 1 + 0.5 * ((d - 1) / 22) ** 2;
    else if (d === 24) rush = 0.75;
    else if (d <= 30) rush = 1.1;
    else rush = 0.85;
    sales *= rush;
  }
  // Christmas shoppers buy more per visit: part of the rush shows in the basket, not the footfall.
  return { sales, basket: 1 + 0.4 * (rush - 1) };
}

const AR_PHI = 0.9;
const AR_SD = 0.05;
const AR_INNOVATION = AR_SD * Math.sqrt(1 - AR_PHI * AR_PHI);
const BASKET_NOISE_SD = 0.04;
const PROMO_BASKET = 1.08;

interface Series {
  rand: Rand;
  /** Slow AR(1) log-level wander. */
  level: number;
}

interface Setup {
  endDay: number;
  firstDay: number;
  profiles: StoreProfile[];
  products: ProductProfile[];
  planner: Planner;
}

function setup(opts: GenerateOptions): Setup {
  validateGenerateOptions(opts);
  const endDay = parseDay(opts.endDate)!;
  const firstDay = endDay - opts.days + 1;
  const profiles = generateStoreProfiles(opts);
  const products = Array.from({ length: opts.products }, (_, i) => productProfile(opts.seed, i));
  const planner = new Planner(opts.seed, profiles, firstDay, endDay + CALENDAR_DAYS);
  return { endDay, firstDay, profiles, products, planner };
}

/**
 * Sales rows one day at a time, newest day first (Kaggle order); each day sorted by store then product.
 * Holds one day of rows in memory.
 */
export function* generateSalesDays(opts: GenerateOptions): Generator<SalesDay> {
  const { endDay, firstDay, profiles, products, planner } = setup(opts);
  const { tables } = planner;
  const series: Series[] = [];
  for (const p of profiles) {
    for (const prod of products) {
      const rand = streamFor(opts.seed, Purpose.Series, p.store, prod.index);
      series.push({ rand, level: AR_SD * rand.normal() });
    }
  }

  for (let day = endDay; day >= firstDay; day--) {
    const date = formatDay(day);
    const dow = isoWeekday(day);
    const promo = isPromo(day);
    const season = seasonal(day);
    const yearsFromEnd = (day - endDay) / 365.25;
    const rows: SalesRow[] = [];
    let k = 0;
    for (let i = 0; i < profiles.length; i++) {
      const p = profiles[i]!;
      const plan = planner.plan(i, day, dow, promo);
      const stateholiday = HOLIDAY_CODES[plan.holidayCode]!;
      let storeSales = 0;
      let storeBasket = 0;
      if (plan.open) {
        const weekday = dow === 6 ? p.saturdayFactor : dow === 7 && p.storeType === "b" ? 1.05 : WEEKDAY_FACTOR[dow]!;
        // Shoppers stock up before a holiday closure and catch up after it.
        const before = tables.holidayCode(p.stateIndex, day + 1) !== 0 ? 1.12 : 1;
        const after = tables.holidayCode(p.stateIndex, day - 1) !== 0 ? 1.08 : 1;
        storeSales =
          p.baseSales *
          Math.exp(p.trendPerYear * yearsFromEnd) *
          weekday *
          (promo ? p.promoLift : 1) *
          season.sales *
          (plan.school ? 1.02 : 1) *
          before *
          after;
        storeBasket = p.basket * season.basket * (promo ? PROMO_BASKET : 1) * (dow === 6 ? 1.04 : 1);
      }
      for (const prod of products) {
        const s = series[k++]!;
        // Always draw, open or not, so a closure does not shift later noise.
        s.level = AR_PHI * s.level + AR_INNOVATION * s.rand.normal();
        const eps = s.rand.normal();
        const epsBasket = s.rand.normal();
        let sales = 0;
        let customers = 0;
        if (plan.open) {
          const noise = Math.exp(s.level + prod.noiseSd * eps - (prod.noiseSd ** 2 + AR_SD ** 2) / 2);
          sales = Math.max(1, Math.round(storeSales * prod.salesFactor * noise));
          const basket = storeBasket * prod.basketFactor * Math.exp(BASKET_NOISE_SD * epsBasket);
          customers = Math.max(1, Math.round(sales / basket));
        }
        rows.push({
          store: p.store,
          productname: prod.name,
          date,
          dayofweek: dow,
          sales,
          customers,
          open: plan.open,
          promo,
          stateholiday,
          schoolholiday: plan.school,
        });
      }
    }
    yield { date, rows };
  }
}

/** All sales rows, newest day first. */
export function* generateSales(opts: GenerateOptions): Generator<SalesRow> {
  for (const day of generateSalesDays(opts)) yield* day.rows;
}

/**
 * The plan for the CALENDAR_DAYS that follow the history file (Kaggle test.csv): it starts on
 * the first held-out stream day, so once the loader shifts the history to end yesterday the
 * plan starts today. Newest day first, then store, with Id counting from 1.
 */
export function* generateCalendar(opts: GenerateOptions): Generator<PlannedDay> {
  const { endDay, profiles, planner } = setup(opts);
  const firstPlanned = endDay - STREAM_DAYS + 1;
  let id = 1;
  for (let day = firstPlanned + CALENDAR_DAYS - 1; day >= firstPlanned; day--) {
    const date = formatDay(day);
    const dow = isoWeekday(day);
    const promo = isPromo(day);
    for (let i = 0; i < profiles.length; i++) {
      const plan = planner.plan(i, day, dow, promo);
      yield {
        id: id++,
        store: profiles[i]!.store,
        date,
        dayofweek: dow,
        open: plan.open,
        promo,
        stateholiday: HOLIDAY_CODES[plan.holidayCode]!,
        schoolholiday: plan.school,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// CSV output.

export function salesCsvHeader(products: number): string {
  return `${[...TRAIN_COLUMNS, ...(products > 1 ? [PRODUCT_COLUMN] : [])].join(",")}\n`;
}

export function salesCsvLine(r: SalesRow, withProduct: boolean): string {
  const base = `${r.store},${r.dayofweek},${r.date},${r.sales},${r.customers},${r.open},${r.promo},${r.stateholiday},${r.schoolholiday}`;
  return withProduct ? `${base},${r.productname}\n` : `${base}\n`;
}

/** Writes to `<file>.tmp` and renames on success, so a crash never leaves a plausible-looking partial file. */
class CsvOut {
  readonly tmp: string;
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(readonly file: string) {
    this.tmp = `${file}.tmp`;
    this.stream = createWriteStream(this.tmp, { highWaterMark: 1 << 20 });
    this.stream.on("error", (err) => {
      this.failure ??= err;
    });
  }

  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    await rename(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await rm(this.tmp, { force: true });
  }
}

/** Flush threshold for batching lines into one write() call. */
const CHUNK_CHARS = 1 << 18;

/**
 * Writes history, stream, calendar and store files into outDir (created if needed). Quiet unless
 * onProgress is given; memory stays at about one day of rows.
 */
export async function writeGeneratedData(opts: WriteGeneratedDataOptions): Promise<GeneratedFiles> {
  const gen: GenerateOptions = {
    stores: opts.stores,
    products: opts.products,
    days: opts.days,
    endDate: opts.endDate,
    seed: opts.seed,
  };
  validateGenerateOptions(gen);
  const dir = path.resolve(opts.outDir);
  await mkdir(dir, { recursive: true });
  const files = {
    historyCsv: path.join(dir, GENERATED_FILE_NAMES.history),
    streamCsv: path.join(dir, GENERATED_FILE_NAMES.stream),
    calendarCsv: path.join(dir, GENERATED_FILE_NAMES.calendar),
    storesCsv: path.join(dir, GENERATED_FILE_NAMES.stores),
  };
  const outs = [
    new CsvOut(files.storesCsv),
    new CsvOut(files.calendarCsv),
    new CsvOut(files.historyCsv),
    new CsvOut(files.streamCsv),
  ] as const;
  const [storesOut, calendarOut, historyOut, streamOut] = outs;

  try {
    let buf = `${STORE_COLUMNS.join(",")}\n`;
    for (const s of generateStores(gen)) buf += `${s.store},${s.store_type},${s.assortment}\n`;
    await storesOut.write(buf);

    let calendarRows = 0;
    buf = `${CALENDAR_COLUMNS.join(",")}\n`;
    for (const r of generateCalendar(gen)) {
      buf += `${r.id},${r.store},${r.dayofweek},${r.date},${r.open},${r.promo},${r.stateholiday},${r.schoolholiday}\n`;
      calendarRows++;
      if (buf.length >= CHUNK_CHARS) {
        await calendarOut.write(buf);
        buf = "";
      }
    }
    await calendarOut.write(buf);

    const withProduct = gen.products > 1;
    const header = salesCsvHeader(gen.products);
    await historyOut.write(header);
    await streamOut.write(header);
    const total = gen.stores * gen.products * gen.days;
    let done = 0;
    let historyRows = 0;
    let streamRows = 0;
    let dayIndex = 0;
    for (const { rows } of generateSalesDays(gen)) {
      const toStream = dayIndex < STREAM_DAYS;
      const out = toStream ? streamOut : historyOut;
      buf = "";
      for (const r of rows) {
        buf += salesCsvLine(r, withProduct);
        if (buf.length >= CHUNK_CHARS) {
          await out.write(buf);
          buf = "";
        }
      }
      await out.write(buf);
      if (toStream) streamRows += rows.length;
      else historyRows += rows.length;
      done += rows.length;
      dayIndex++;
      opts.onProgress?.(done, total);
    }

    for (const o of outs) await o.close();
    return { ...files, historyRows, streamRows, calendarRows };
  } catch (err) {
    await Promise.all(outs.map((o) => o.abort()));
    throw err;
  }
}
