/**
 * Generated sales with injected store events, for the anomaly scan's tests and bench: the events and
 * their truth (which stores were changed), store-day totals in memory and a bulk write into rossman_sales.
 */
import { formatDay, parseDay } from "../../app/days.js";
import type { StoreDay } from "../../app/monitoring/weekly-profile.js";
import type { Database } from "../../app/platform/db.server.js";
import type { SalesRow } from "../../app/rossmann.js";
import { generateSalesDays } from "../../app/sales/generator/sales-model.js";
import {
  affectedStores,
  injectionEvents,
  SATURDAY_TO_MONDAY,
  type StoreEvent,
} from "../../app/sales/generator/store-events.js";
import { intArray, SALES_UPSERT, STORES_ENSURE, textArray } from "../../app/sales/upsert.server.js";

export interface AnomalyWorld {
  endDay: number;
  events: StoreEvent[];
  /** The stores whose weekday pattern changed. */
  changed: number[];
  /** Store-day totals of the last `windowDays` days (one product). */
  storeDays: StoreDay[];
  /** The same days' rows, for a database. */
  rows: SalesRow[];
}

/**
 * `stores` generated stores, one product, ending on `endDate`; `share` of them (picked by `seed`) have
 * their Saturday sales moved to Monday from `changedDaysAgo` days before the end (0: the last day).
 */
export function anomalyWorld(opts: {
  stores: number;
  seed: number;
  endDate: string;
  share: number;
  changedDaysAgo: number;
  windowDays: number;
}): AnomalyWorld {
  const endDay = parseDay(opts.endDate)!;
  const events = injectionEvents(
    [
      {
        kind: "weekday",
        factors: SATURDAY_TO_MONDAY,
        share: opts.share,
        seed: opts.seed,
        from: formatDay(endDay - opts.changedDaysAgo),
      },
    ],
    opts.stores,
  );
  const storeDays: StoreDay[] = [];
  const rows: SalesRow[] = [];
  for (const day of generateSalesDays({
    stores: opts.stores,
    products: 1,
    days: opts.windowDays + 1,
    endDate: opts.endDate,
    seed: opts.seed,
    events,
  })) {
    const d = parseDay(day.date)!;
    if (d <= endDay - opts.windowDays) continue;
    for (const r of day.rows) {
      rows.push(r);
      storeDays.push({ store: r.store, day: d, sales: r.sales, open: r.open === 1 });
    }
  }
  return { endDay, events, changed: affectedStores(events).weekday, storeDays, rows };
}

/** Writes rows into rossman_sales (and their stores), a chunk per statement. */
export async function writeSalesRows(db: Database, rows: readonly SalesRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const c = rows.slice(i, i + 10_000);
    await db.sql.query(STORES_ENSURE, [intArray([...new Set(c.map((r) => r.store))])]);
    await db.sql.query(SALES_UPSERT, [
      intArray(c.map((r) => r.store)),
      textArray(c.map((r) => r.productname)),
      intArray(c.map((r) => parseDay(r.date)!)),
      intArray(c.map((r) => r.dayofweek)),
      intArray(c.map((r) => r.sales)),
      intArray(c.map((r) => r.customers)),
      intArray(c.map((r) => r.open)),
      intArray(c.map((r) => r.promo)),
      textArray(c.map((r) => r.stateholiday)),
      intArray(c.map((r) => r.schoolholiday)),
      "{}",
      "{}",
      "{}",
    ]);
  }
}

/** Recall (share of changed stores flagged) and false-positive rate (share of the others flagged). */
export function detectionRates(flagged: readonly number[], changed: readonly number[], scanned: number) {
  const truth = new Set(changed);
  const hits = flagged.filter((s) => truth.has(s)).length;
  const falsePositives = flagged.length - hits;
  return {
    hits,
    falsePositives,
    recall: changed.length ? hits / changed.length : 1,
    falsePositiveRate: falsePositives / Math.max(1, scanned - changed.length),
  };
}
