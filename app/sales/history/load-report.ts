/**
 * What a history load tells its caller: progress while it runs, the report when it is done (counts,
 * the first bad rows with their line numbers, the date shift, warnings) and the error that stops a
 * load before anything is written.
 */

export interface LoadProgress {
  stage: "read" | "write" | "calendar";
  done: number;
  /** For "read", an estimate from the bytes read so far; exact for the write stages. */
  total?: number;
}

export interface BadRow {
  /** 1-based physical line in its file (the header is line 1). */
  line: number;
  reason: string;
  /** Set for rows of the calendar or stores file; absent for the history file. */
  file?: string;
}

export interface LoadReport {
  /** Data rows in the history file (header and blank lines not counted). */
  rowsRead: number;
  /** Rows upserted into rossman_sales (in the window, one per store/product/date). */
  rowsLoaded: number;
  /** Of rowsLoaded, rows already stored with identical values (a re-run reports them all here). */
  rowsUnchanged: number;
  /** Invalid history rows, not loaded (see badRows). */
  rowsSkipped: number;
  /** Valid rows older than the window. */
  rowsOutsideWindow: number;
  /** Valid rows superseded by a later line of the file with the same store, product and date. */
  rowsDuplicate: number;
  /** The first MAX_BAD_ROWS bad rows of all files, in file order; the counts are complete. */
  badRows: BadRow[];
  /** Days added to every date (history and calendar). */
  shiftDays: number;
  /** Loaded date range after the shift (YYYY-MM-DD); empty strings when nothing was loaded. */
  from: string;
  to: string;
  /** Distinct stores among the loaded rows. */
  stores: number;
  products: string[];
  /** Rows upserted from the stores file. */
  storeRows: number;
  storeRowsSkipped: number;
  /** Rows upserted into store_calendar. */
  calendarRows: number;
  calendarRowsSkipped: number;
  /** Things worth telling that are not row errors (empty file, calendar not loaded, ...). */
  warnings: string[];
  seconds: number;
}

/** A problem that stops the load before anything is written: missing file, unusable header, bad option. */
export class HistoryLoadError extends Error {
  override name = "HistoryLoadError";
}

/** Bad rows kept in the report; past this only the counts grow, so a garbage file cannot eat memory. */
export const MAX_BAD_ROWS = 1000;

export function pushBad(report: LoadReport, bad: BadRow): void {
  if (report.badRows.length < MAX_BAD_ROWS) report.badRows.push(bad);
}
