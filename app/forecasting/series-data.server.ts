/**
 * What forecasting and training read of the sales data: a series' history, the store calendar (the
 * plan for coming days), the newest sales day, and whether a series exists at all. Set-based SQL,
 * one query per batch of series, shared by train-all, train-one, batch and ad-hoc forecasts.
 */
import { formatDay, parseDay } from "../days.js";
import { NotFoundError } from "../errors.js";
import type { HistoryDay, PlanDay } from "../model/config.js";
import type { Database } from "../platform/db.server.js";
import { MAX_INT32, type StateHoliday } from "../rossmann.js";
import { type SeriesKey, seriesId } from "../series.js";

interface SalesDbRow {
  store: number;
  productname: string;
  date: string;
  sales: number;
  open: number;
  promo: number;
  stateholiday: string;
  schoolholiday: number;
}

function toHistoryDay(r: SalesDbRow): HistoryDay {
  return {
    date: r.date,
    sales: r.sales,
    open: r.open === 1 ? 1 : 0,
    promo: r.promo === 1 ? 1 : 0,
    stateholiday: r.stateholiday as StateHoliday,
    schoolholiday: r.schoolholiday === 1 ? 1 : 0,
  };
}

/** The newest sales date in the database, or null when it is empty. */
export async function newestSalesDay(db: Database): Promise<number | null> {
  const [row] = await db.sql.query<{ newest: string | null }>("SELECT max(date)::text AS newest FROM rossman_sales");
  return row?.newest ? (parseDay(row.newest) ?? null) : null;
}

/** Every series' days in (fromDay, toDay], grouped by series, in date order. */
export async function loadHistories(
  db: Database,
  fromDay: number,
  toDay: number,
  only: { series: SeriesKey } | { stores: [number, number] },
): Promise<Map<string, { key: SeriesKey; days: HistoryDay[] }>> {
  const [firstStore, lastStore] = "series" in only ? [only.series.store, only.series.store] : only.stores;
  const rows = await db.sql.query<SalesDbRow>(
    `SELECT store, productname, date::text AS date, sales, open, promo, stateholiday, schoolholiday
       FROM rossman_sales
      WHERE date > $1::date AND date <= $2::date AND store BETWEEN $3::int AND $4::int
        AND ($5::text IS NULL OR productname = $5::text)
      ORDER BY store, productname, date`,
    [formatDay(fromDay), formatDay(toDay), firstStore, lastStore, "series" in only ? only.series.productname : null],
  );
  const out = new Map<string, { key: SeriesKey; days: HistoryDay[] }>();
  for (const r of rows) {
    const id = seriesId(r);
    let entry = out.get(id);
    if (!entry) {
      entry = { key: { store: r.store, productname: r.productname }, days: [] };
      out.set(id, entry);
    }
    entry.days.push(toHistoryDay(r));
  }
  return out;
}

export type CalendarDbRow = Omit<SalesDbRow, "productname" | "sales">;

export function toPlanDay(r: Omit<CalendarDbRow, "store">): PlanDay {
  return {
    date: r.date,
    open: r.open === 1 ? 1 : 0,
    promo: r.promo === 1 ? 1 : 0,
    stateholiday: r.stateholiday as StateHoliday,
    schoolholiday: r.schoolholiday === 1 ? 1 : 0,
  };
}

/** The store calendar (plans) for [fromDay, toDay], by store then date. */
export async function loadCalendars(
  db: Database,
  fromDay: number,
  toDay: number,
  store?: number,
): Promise<Map<number, Map<string, PlanDay>>> {
  const rows = await db.sql.query<CalendarDbRow>(
    `SELECT store, date::text AS date, open, promo, stateholiday, schoolholiday
       FROM store_calendar
      WHERE date >= $1::date AND date <= $2::date AND ($3::int IS NULL OR store = $3::int)`,
    [formatDay(fromDay), formatDay(toDay), store ?? null],
  );
  const out = new Map<number, Map<string, PlanDay>>();
  for (const r of rows) {
    let plans = out.get(r.store);
    if (!plans) {
      plans = new Map();
      out.set(r.store, plans);
    }
    plans.set(r.date, toPlanDay(r));
  }
  return out;
}

export const EMPTY_PLAN: ReadonlyMap<string, PlanDay> = new Map();

export function dateRange(fromDay: number, days: number): string[] {
  return Array.from({ length: days }, (_, i) => formatDay(fromDay + i));
}

/** NotFoundError naming the store, or the product of a known store, when the series has no sales. */
export async function assertSeriesExists(db: Database, key: SeriesKey): Promise<void> {
  // A number no store can have (a reference client may ask for store -5) is not worth a query.
  if (!Number.isInteger(key.store) || key.store < 1 || key.store > MAX_INT32) {
    throw new NotFoundError("store", `unknown store ${key.store}`);
  }
  const missing = await firstMissingSeries(db, [key]);
  if (!missing) return;
  if (!missing.storeKnown) throw new NotFoundError("store", `unknown store ${key.store}`);
  throw new NotFoundError("product", `store ${key.store} has no product ${key.productname}`);
}

/** The first of `items` (by index) with no sales history, and whether its store has any, or null. */
export async function firstMissingSeries(
  db: Database,
  items: readonly SeriesKey[],
): Promise<{ index: number; key: SeriesKey; storeKnown: boolean } | null> {
  return (await missingSeries(db, items, 1))[0] ?? null;
}

/** Every one of `items` (by index, at most `limit`) with no sales history, and whether its store has any. */
export async function missingSeries(
  db: Database,
  items: readonly SeriesKey[],
  limit?: number,
): Promise<{ index: number; key: SeriesKey; storeKnown: boolean }[]> {
  const rows = await db.sql.query<{ i: number; store: number; productname: string; has_store: boolean }>(
    `SELECT t.i, t.store, t.productname,
            EXISTS (SELECT 1 FROM rossman_sales r WHERE r.store = t.store) AS has_store
       FROM unnest($1::int[], $2::int[], $3::text[]) AS t(i, store, productname)
      WHERE NOT EXISTS (SELECT 1 FROM rossman_sales r WHERE r.store = t.store AND r.productname = t.productname)
      ORDER BY t.i LIMIT $4`,
    [items.map((_, i) => i), items.map((k) => k.store), items.map((k) => k.productname), limit ?? null],
  );
  return rows.map((row) => ({
    index: row.i,
    key: { store: row.store, productname: row.productname },
    storeKnown: row.has_store,
  }));
}
