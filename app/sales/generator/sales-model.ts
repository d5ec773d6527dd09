/**
 * Deterministic Rossmann-format data generator: the sales model (weekday, season, promo, holiday and
 * school-holiday effects, trend, AR(1) level wander and noise per series) and the two generators built
 * on it, the sales days and the planned calendar that follows them.
 *
 * Injected store events (store-events.ts) scale a store's expected sales from their day on.
 *
 * Days are generated newest first (the order of Kaggle's train.csv), so for a fixed end date the
 * newest N days are identical whatever --days is. Random draws come from ./random.ts, keyed per store
 * and product, so a store's series does not depend on how many stores or products are generated.
 */
import { DAY_MS, formatDay, isoWeekday, parseDay } from "../../days.js";
import type { CalendarRow, SalesRow } from "../../rossmann.js";
import { HOLIDAY_CODES, isPromo, Planner } from "./calendar.js";
import { CALENDAR_DAYS, type GenerateOptions, STREAM_DAYS, validateGenerateOptions } from "./options.js";
import { generateStoreProfiles, type ProductProfile, productProfile, type StoreProfile } from "./profiles.js";
import { Purpose, type Rand, streamFor } from "./random.js";
import { storeEffects } from "./store-events.js";

export interface SalesDay {
  date: string;
  /** Sorted by store, then product. */
  rows: SalesRow[];
}

export interface PlannedDay extends CalendarRow {
  /** Kaggle test.csv Id, from 1. */
  id: number;
}

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
  const effectsOf = storeEffects(opts.events ?? []);
  const effects = profiles.map((p) => effectsOf(p.store));
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
          after *
          effects[i]!.factor(day, dow, promo === 1, p.promoLift);
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
