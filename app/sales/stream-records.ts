/**
 * What the producer sends: "today's" sales records in the reference system's JSON shape, made
 * from source rows (Rossmann-format rows) by giving them today's date and weekday, keyed by store
 * so a store's records stay in order on one partition. Pure: no clock, no I/O.
 */
import { formatDay, isoWeekday } from "../days.js";
import type { SalesRow } from "../rossmann.js";

/** A source row: a Rossmann row whose own date does not matter (the record gets today's). */
export type SourceRow = Omit<SalesRow, "date" | "dayofweek">;

/** One stream record, as the reference system's producer sends it (field names and order). */
export interface SalesRecord {
  store: number;
  dayofweek: number;
  date: string;
  sales: number;
  customers: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: string;
  schoolholiday: 0 | 1;
  productname: string;
}

/** `row` as a record dated `day` (days since 1970-01-01), with that day's ISO weekday. */
export function todayRecord(row: SourceRow, day: number): SalesRecord {
  return {
    store: row.store,
    dayofweek: isoWeekday(day),
    date: formatDay(day),
    sales: row.sales,
    customers: row.customers,
    open: row.open,
    promo: row.promo,
    stateholiday: row.stateholiday,
    schoolholiday: row.schoolholiday,
    productname: row.productname,
  };
}

/** The message for a record: keyed by store (one partition per store, so its records stay in order). */
export function recordMessage(record: SalesRecord): { key: string; value: string } {
  return { key: String(record.store), value: JSON.stringify(record) };
}

/** Endless round-robin over rows, in their order, starting again at the first after the last. */
export class RowCycle<T> {
  private position: number;

  constructor(
    private readonly rows: readonly T[],
    start = 0,
  ) {
    if (rows.length === 0) throw new RangeError("RowCycle needs at least one row");
    this.position = ((start % rows.length) + rows.length) % rows.length;
  }

  /** Index of the row next() returns. */
  get index(): number {
    return this.position;
  }

  next(): T {
    const row = this.rows[this.position]!;
    this.position = (this.position + 1) % this.rows.length;
    return row;
  }

  take(n: number): T[] {
    const out = new Array<T>(n);
    for (let i = 0; i < n; i++) out[i] = this.next();
    return out;
  }
}
