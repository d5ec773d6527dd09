/**
 * The loader's writes: stores, the sales rows of the window and the shifted store calendar, in one
 * transaction, in batches of unnest'ed arrays. The sales upsert is shared with the stream consumer
 * (../upsert.server.ts).
 */
import { isoWeekday } from "../../days.js";
import type { Database } from "../../platform/db.server.js";
import { STATE_HOLIDAYS } from "../../rossmann.js";
import { intArrayOf, SALES_UPSERT, STORES_ENSURE, textArray } from "../upsert.server.js";
import type { CalendarEntry, SalesColumns, StoreEntry } from "./compact-rows.js";
import type { LoadProgress, LoadReport } from "./load-report.js";

/** Rows per INSERT statement: unnest arrays, so there is no parameter-count limit to respect. */
const BATCH_ROWS = 5000;
/** Interactive-transaction timeout: generous, a 100-product history is millions of rows. */
const TX_TIMEOUT_MS = 30 * 60_000;

const CALENDAR_UPSERT = `INSERT INTO store_calendar (store, date, dayofweek, open, promo, stateholiday, schoolholiday)
  SELECT u.store, DATE '1970-01-01' + u.day, u.dow, u.open, u.promo, u.holiday, u.school
    FROM unnest($1::int[], $2::int[], $3::smallint[], $4::smallint[], $5::smallint[], $6::varchar[], $7::smallint[])
      AS u(store, day, dow, open, promo, holiday, school)
  ON CONFLICT (store, date) DO UPDATE SET
    dayofweek = EXCLUDED.dayofweek, open = EXCLUDED.open, promo = EXCLUDED.promo,
    stateholiday = EXCLUDED.stateholiday, schoolholiday = EXCLUDED.schoolholiday`;

const STORES_UPSERT = `INSERT INTO stores (store, store_type, assortment)
  SELECT * FROM unnest($1::int[], $2::varchar[], $3::varchar[])
  ON CONFLICT (store) DO UPDATE SET store_type = EXCLUDED.store_type, assortment = EXCLUDED.assortment`;

/** What one load writes, already read, checked and windowed. */
export interface HistoryWrites {
  storeEntries: StoreEntry[];
  rows: SalesColumns;
  /** Product names by the index stored in rows.product. */
  products: string[];
  /** Indexes of the rows to write (see windowRows). */
  keep: Uint32Array;
  /** Written only when there are history rows (the shift comes from them). */
  calendar: CalendarEntry[];
  /** Days added to every date. */
  shift: number;
  onProgress?: (p: LoadProgress) => void;
}

/**
 * Writes everything in one transaction, so a failed load leaves the tables as they were. Counts the
 * written store, unchanged sales and calendar rows into the report.
 */
export async function writeHistory(db: Database, writes: HistoryWrites, report: LoadReport): Promise<void> {
  const { storeEntries, rows, products, keep, calendar, shift, onProgress } = writes;
  // One transaction through Prisma's interactive transaction rather than BEGIN on db.sql: on Postgres
  // db.sql is a pool, so BEGIN and the INSERTs could run on different connections; Prisma pins one
  // connection (on PGlite it holds the client's lock), and $executeRawUnsafe sends the bulk SQL as is.
  await db.prisma.$transaction(
    async (tx) => {
      if (storeEntries.length > 0) {
        await tx.$executeRawUnsafe(
          STORES_UPSERT,
          intArrayOf(storeEntries.length, (i) => storeEntries[i]!.store),
          textArray(storeEntries.map((s) => s.storeType)),
          textArray(storeEntries.map((s) => s.assortment)),
        );
        report.storeRows = storeEntries.length;
      }
      if (keep.length > 0) {
        const storeSet = [...new Set(Array.from(keep, (i) => rows.store[i]!))].sort((a, b) => a - b);
        await tx.$executeRawUnsafe(
          STORES_ENSURE,
          intArrayOf(storeSet.length, (i) => storeSet[i]!),
        );
      }
      let written = 0;
      for (let b = 0; b < keep.length; b += BATCH_ROWS) {
        const idx = keep.subarray(b, Math.min(keep.length, b + BATCH_ROWS));
        const n = idx.length;
        const at = (col: Int32Array) => intArrayOf(n, (k) => col[idx[k]!]!);
        const flag = (bit: number) => intArrayOf(n, (k) => (rows.flags[idx[k]!]! >> bit) & 1);
        // The weekday follows the shifted date: the model reads the weekday of the calendar date, and a
        // shift that is not a multiple of 7 would otherwise leave Mondays labelled as Thursdays.
        const affected = await tx.$executeRawUnsafe(
          SALES_UPSERT,
          at(rows.store),
          textArray(Array.from(idx, (i) => products[rows.product[i]!]!)),
          intArrayOf(n, (k) => rows.day[idx[k]!]! + shift),
          intArrayOf(n, (k) => isoWeekday(rows.day[idx[k]!]! + shift)),
          at(rows.sales),
          at(rows.customers),
          flag(0),
          flag(1),
          `{${Array.from(idx, (i) => STATE_HOLIDAYS[rows.holiday[i]!]).join(",")}}`,
          flag(2),
          // No record version: history is the oldest version (docs/decisions/0016).
          "{}",
          "{}",
          "{}",
        );
        report.rowsUnchanged += n - affected;
        written += n;
        onProgress?.({ stage: "write", done: written, total: keep.length });
      }
      if (rows.length > 0 && calendar.length > 0) {
        for (let b = 0; b < calendar.length; b += BATCH_ROWS) {
          const part = calendar.slice(b, b + BATCH_ROWS);
          const n = part.length;
          await tx.$executeRawUnsafe(
            CALENDAR_UPSERT,
            intArrayOf(n, (k) => part[k]!.store),
            intArrayOf(n, (k) => part[k]!.day + shift),
            intArrayOf(n, (k) => isoWeekday(part[k]!.day + shift)),
            intArrayOf(n, (k) => part[k]!.flags & 1),
            intArrayOf(n, (k) => (part[k]!.flags >> 1) & 1),
            `{${part.map((e) => STATE_HOLIDAYS[e.holiday]).join(",")}}`,
            intArrayOf(n, (k) => (part[k]!.flags >> 2) & 1),
          );
          report.calendarRows += n;
          onProgress?.({ stage: "calendar", done: report.calendarRows, total: calendar.length });
        }
      }
    },
    { timeout: TX_TIMEOUT_MS, maxWait: 60_000 },
  );
}
