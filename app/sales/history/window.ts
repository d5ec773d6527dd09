/**
 * The loader's date window and shift: only the newest `months` of history are kept, one row per
 * store, product and date (the last line of the file wins), and every date moves by the same number
 * of days so the newest day becomes yesterday. Dates are integer days since 1970-01-01 (UTC).
 */
import { addDays, subMonths } from "date-fns";
import { DAY_MS, formatDay } from "../../days.js";
import type { CalendarEntry, SalesColumns, StoreEntry } from "./compact-rows.js";
import type { LoadReport } from "./load-report.js";

/** First day of the `months`-month window ending at `newest`, with date-fns month arithmetic. */
function windowStart(newest: number, months: number): number {
  // date-fns works on local Dates; build one from the calendar fields so the time zone cannot shift the day.
  const n = new Date(newest * DAY_MS);
  const local = new Date(n.getUTCFullYear(), n.getUTCMonth(), n.getUTCDate());
  // 2015-07-31 minus 5 months is 2015-02-28 (date-fns clamps), so the window is 2015-03-01..2015-07-31.
  const start = addDays(subMonths(local, months), 1);
  return Date.UTC(start.getFullYear(), start.getMonth(), start.getDate()) / DAY_MS;
}

/**
 * Indexes of the rows to write: in the window, sorted by (product, store, day) so the unique index
 * is filled in order, keeping the last line of the file when a key repeats ("newest write wins").
 */
function selectRows(rows: SalesColumns, from: number): { keep: Uint32Array; outside: number; duplicates: number } {
  const candidates: number[] = [];
  for (let i = 0; i < rows.length; i++) if (rows.day[i]! >= from) candidates.push(i);
  const { product, store, day } = rows;
  candidates.sort((a, b) => product[a]! - product[b]! || store[a]! - store[b]! || day[a]! - day[b]! || a - b);
  const keep: number[] = [];
  for (let k = 0; k < candidates.length; k++) {
    const i = candidates[k]!;
    const next = candidates[k + 1];
    const sameAsNext =
      next !== undefined && product[next] === product[i] && store[next] === store[i] && day[next] === day[i];
    if (!sameAsNext) keep.push(i);
  }
  return {
    keep: Uint32Array.from(keep),
    outside: rows.length - candidates.length,
    duplicates: candidates.length - keep.length,
  };
}

export function dedupeCalendar(entries: CalendarEntry[]): CalendarEntry[] {
  const byKey = new Map<string, CalendarEntry>();
  for (const e of entries) byKey.set(`${e.store}:${e.day}`, e);
  return [...byKey.values()].sort((a, b) => a.store - b.store || a.day - b.day);
}

export function dedupeStores(entries: StoreEntry[]): StoreEntry[] {
  const byStore = new Map<number, StoreEntry>();
  for (const e of entries) byStore.set(e.store, e);
  return [...byStore.values()].sort((a, b) => a.store - b.store);
}

/**
 * Picks the rows to write from a non-empty read: the window ends at the newest date in the file and
 * the shift takes that date to `today - 1`. Fills the report's window fields (shiftDays, the counts
 * outside the window and duplicate, rowsLoaded, from, to, stores, products) and returns the indexes
 * of the rows to write.
 */
export function windowRows(
  rows: SalesColumns,
  productNames: string[],
  months: number,
  today: number,
  report: LoadReport,
): Uint32Array {
  let newest = rows.day[0]!;
  for (let i = 1; i < rows.length; i++) if (rows.day[i]! > newest) newest = rows.day[i]!;
  report.shiftDays = today - 1 - newest;
  const sel = selectRows(rows, windowStart(newest, months));
  const keep = sel.keep;
  report.rowsOutsideWindow = sel.outside;
  report.rowsDuplicate = sel.duplicates;
  report.rowsLoaded = keep.length;
  let first = Number.POSITIVE_INFINITY;
  const stores = new Set<number>();
  const products = new Set<number>();
  for (const i of keep) {
    if (rows.day[i]! < first) first = rows.day[i]!;
    stores.add(rows.store[i]!);
    products.add(rows.product[i]!);
  }
  report.products = productNames.filter((_, p) => products.has(p));
  report.stores = stores.size;
  report.from = formatDay(first + report.shiftDays);
  report.to = formatDay(newest + report.shiftDays);
  return keep;
}
