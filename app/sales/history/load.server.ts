/**
 * History loader: reads a Rossmann-format train.csv (plus optionally test.csv as the store calendar
 * and store.csv), keeps the newest `months`, shifts every date so the newest day becomes yesterday,
 * and upserts everything in one transaction.
 *
 * The steps live beside this file: csv-reader.server.ts and read-files.server.ts read and check the
 * rows (with their line numbers) into compact-rows.ts storage; window.ts picks the window and the
 * shift; db-writes.server.ts writes. The window is only known once the newest date has been seen
 * (files need not be sorted), so rows are filtered after the single read pass. The report, progress
 * and error types are in load-report.ts.
 */
import { parseDay, todayDay } from "../../days.js";
import type { Database } from "../../platform/db.server.js";
import { MAX_PRODUCT_NAME, showValue } from "../../rossmann.js";
import { openable } from "./csv-reader.server.js";
import { writeHistory } from "./db-writes.server.js";
import { type BadRow, HistoryLoadError, type LoadProgress, type LoadReport } from "./load-report.js";
import { readCalendar, readSales, readStores } from "./read-files.server.js";
import { dedupeCalendar, dedupeStores, windowRows } from "./window.js";

export interface LoadHistoryOptions {
  csv: string;
  calendarCsv?: string;
  storesCsv?: string;
  /** Product of every row when the file has no ProductName column (default "product_A"). */
  product?: string;
  /** Calendar months kept, ending at the newest date in the file (default 5). */
  months?: number;
  /** YYYY-MM-DD, default today (UTC); the newest date in the file becomes today - 1. */
  today?: string;
  onProgress?: (p: LoadProgress) => void;
}

function validateOptions(opts: LoadHistoryOptions): { months: number; today: number } {
  const months = opts.months ?? 5;
  if (!Number.isInteger(months) || months < 1 || months > 1200) {
    throw new HistoryLoadError(`months: expected a whole number of months from 1 to 1200, got ${opts.months}`);
  }
  let today = todayDay();
  if (opts.today !== undefined) {
    const t = parseDay(opts.today);
    if (t === undefined) throw new HistoryLoadError(`today: expected a date YYYY-MM-DD, got ${showValue(opts.today)}`);
    today = t;
  }
  const product = opts.product;
  if (product !== undefined && (product.trim() === "" || product.length > MAX_PRODUCT_NAME)) {
    throw new HistoryLoadError(`product: expected a name of 1 to ${MAX_PRODUCT_NAME} characters`);
  }
  return { months, today };
}

/**
 * Loads a history file (and optionally calendar and stores files) into the database. Every file is
 * read and validated before the first write; the writes then run in one transaction, so a failed load
 * leaves the tables as they were (and historyIsEmpty() still true for an auto-load to retry).
 */
export async function loadHistory(db: Database, opts: LoadHistoryOptions): Promise<LoadReport> {
  const started = performance.now();
  const { months, today } = validateOptions(opts);
  const report: LoadReport = {
    rowsRead: 0,
    rowsLoaded: 0,
    rowsUnchanged: 0,
    rowsSkipped: 0,
    rowsOutsideWindow: 0,
    rowsDuplicate: 0,
    badRows: [],
    shiftDays: 0,
    from: "",
    to: "",
    stores: 0,
    products: [],
    storeRows: 0,
    storeRowsSkipped: 0,
    calendarRows: 0,
    calendarRowsSkipped: 0,
    warnings: [],
    seconds: 0,
  };

  // Fail fast on a missing side file before reading a large history file.
  if (opts.calendarCsv) await openable(opts.calendarCsv, "calendar file");
  if (opts.storesCsv) await openable(opts.storesCsv, "stores file");

  const sales = await readSales(opts, report);
  report.rowsRead = sales.records;
  report.rowsSkipped = sales.skipped;
  const storeEntries = opts.storesCsv ? dedupeStores(await readStores(opts.storesCsv, report)) : [];
  const calendarRaw = opts.calendarCsv ? await readCalendar(opts.calendarCsv, report) : [];

  const { rows } = sales;
  let keep: Uint32Array = new Uint32Array(0);
  if (rows.length === 0) {
    report.warnings.push(
      sales.records === 0
        ? `history file ${opts.csv} has no data rows: nothing loaded`
        : `history file ${opts.csv} has no valid rows: nothing loaded`,
    );
  } else {
    keep = windowRows(rows, sales.products, months, today, report);
  }
  const calendar = dedupeCalendar(calendarRaw);
  if (opts.calendarCsv && rows.length === 0 && calendar.length > 0) {
    report.warnings.push("calendar file not loaded: without history rows there is no date shift to apply");
  }

  await writeHistory(
    db,
    {
      storeEntries,
      rows,
      products: sales.products,
      keep,
      calendar,
      shift: report.shiftDays,
      onProgress: opts.onProgress,
    },
    report,
  );

  // csv-parse reports broken quoting as soon as it sees it, possibly before earlier rows: restore file order.
  const fileOrder = (b: BadRow) => (b.file === undefined ? 0 : b.file === opts.storesCsv ? 1 : 2);
  report.badRows.sort((a, b) => fileOrder(a) - fileOrder(b) || a.line - b.line);
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** True when rossman_sales has no row at all: stops at the first row found, never counts. */
export async function historyIsEmpty(db: Database): Promise<boolean> {
  const rows = await db.sql.query<{ empty: boolean }>("SELECT NOT EXISTS (SELECT 1 FROM rossman_sales) AS empty");
  return rows[0]?.empty ?? true;
}
