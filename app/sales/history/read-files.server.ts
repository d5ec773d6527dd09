/**
 * Reading the loader's three files (history, calendar, stores): every record is checked against its
 * row schema (rossmann.ts) and either kept as a compact row or reported as bad with its line number.
 */
import { z } from "zod";
import {
  CALENDAR_COLUMNS,
  calendarCsvRow,
  DEFAULT_PRODUCT,
  formatIssues,
  PRODUCT_COLUMN,
  STATE_HOLIDAYS,
  STORE_COLUMNS,
  salesCsvRow,
  storeCsvRow,
  TRAIN_COLUMNS,
} from "../../rossmann.js";
import { type CalendarEntry, SalesColumns, type StoreEntry } from "./compact-rows.js";
import { readCsv } from "./csv-reader.server.js";
import { type LoadProgress, type LoadReport, pushBad } from "./load-report.js";

/** The history file and how to read it (the loader's options of the same names). */
export interface SalesFileOptions {
  csv: string;
  /** Product of every row when the file has no ProductName column (default "product_A"). */
  product?: string;
  onProgress?: (p: LoadProgress) => void;
}

// The row schemas compiled (zod's generated fast path; failures are re-run by the interpreter, so the
// results and messages are the same). Measured on the bench's 214k rows: the interpreted schemas made
// the read step ~30% slower than the hand-written parsers did, the compiled ones ~5-10%.
const SALES_ROW = z.compile(salesCsvRow);
const CALENDAR_ROW = z.compile(calendarCsvRow);
const STORE_ROW = z.compile(storeCsvRow);

type RowParser<S extends z.ZodObject> = (fields: string[]) => z.ZodSafeParseResult<z.output<S>>;

/**
 * Validates records against a row schema (rossmann.ts): the schema's columns are copied by their
 * header-resolved indexes into one reused object (zod's output is a new object, so reuse is safe);
 * a column the header lacks stays undefined, which the optional columns' rules accept.
 */
function rowParser<S extends z.ZodObject>(schema: S, index: Map<string, number>): RowParser<S> {
  const keys: string[] = [];
  const at: number[] = [];
  for (const key of Object.keys(schema.shape)) {
    const i = index.get(key);
    if (i !== undefined) {
      keys.push(key);
      at.push(i);
    }
  }
  const record: Record<string, string | undefined> = {};
  return (fields: string[]) => {
    for (let k = 0; k < keys.length; k++) record[keys[k]!] = fields[at[k]!];
    return schema.safeParse(record);
  };
}

export interface SalesRead {
  rows: SalesColumns;
  products: string[];
  records: number;
  skipped: number;
}

export async function readSales(opts: SalesFileOptions, report: LoadReport): Promise<SalesRead> {
  const rows = new SalesColumns();
  const products: string[] = [];
  const productIndex = new Map<string, number>();
  const defaultProduct = opts.product ?? DEFAULT_PRODUCT;
  let skipped = 0;
  const bad = (line: number, reason: string) => {
    skipped++;
    pushBad(report, { line, reason });
  };
  const productOf = (name: string): number => {
    let i = productIndex.get(name);
    if (i === undefined) {
      i = products.length;
      products.push(name);
      productIndex.set(name, i);
    }
    return i;
  };
  let parseRow: RowParser<typeof SALES_ROW> | undefined;
  let fixedProduct = 0;
  const records = await readCsv(
    opts.csv,
    "history file",
    // DayOfWeek is not required: it is recomputed from the shifted date.
    { required: TRAIN_COLUMNS.filter((c) => c !== "DayOfWeek"), optional: [PRODUCT_COLUMN] },
    {
      onHeader: (idx) => {
        parseRow = rowParser(SALES_ROW, idx);
        if (!idx.has(PRODUCT_COLUMN)) fixedProduct = productOf(defaultProduct);
      },
      onRecord: ({ fields, line }) => {
        const parsed = parseRow!(fields);
        if (!parsed.success) {
          bad(line, formatIssues(parsed.error));
          return;
        }
        const r = parsed.data;
        rows.push(
          r.Store,
          r.Date,
          r.Sales,
          r.Customers,
          r.ProductName === undefined ? fixedProduct : productOf(r.ProductName),
          r.Open | (r.Promo << 1) | (r.SchoolHoliday << 2),
          STATE_HOLIDAYS.indexOf(r.StateHoliday),
        );
      },
      onBad: bad,
      onProgress: (done, total) => opts.onProgress?.({ stage: "read", done, total }),
    },
  );
  return { rows, products, records, skipped };
}

export async function readCalendar(file: string, report: LoadReport): Promise<CalendarEntry[]> {
  const out: CalendarEntry[] = [];
  let parseRow: RowParser<typeof CALENDAR_ROW> | undefined;
  await readCsv(
    file,
    "calendar file",
    // Id is Kaggle's row number and DayOfWeek is recomputed: neither is needed.
    { required: CALENDAR_COLUMNS.filter((c) => c !== "Id" && c !== "DayOfWeek"), optional: [] },
    {
      onHeader: (idx) => {
        parseRow = rowParser(CALENDAR_ROW, idx);
      },
      onRecord: ({ fields, line }) => {
        const parsed = parseRow!(fields);
        if (!parsed.success) {
          report.calendarRowsSkipped++;
          pushBad(report, { line, reason: formatIssues(parsed.error), file });
          return;
        }
        const r = parsed.data;
        out.push({
          store: r.Store,
          day: r.Date,
          flags: r.Open | (r.Promo << 1) | (r.SchoolHoliday << 2),
          holiday: STATE_HOLIDAYS.indexOf(r.StateHoliday),
        });
      },
      onBad: (line, reason) => {
        report.calendarRowsSkipped++;
        pushBad(report, { line, reason, file });
      },
    },
  );
  return out;
}

export async function readStores(file: string, report: LoadReport): Promise<StoreEntry[]> {
  const out: StoreEntry[] = [];
  let parseRow: RowParser<typeof STORE_ROW> | undefined;
  await readCsv(
    file,
    "stores file",
    { required: ["Store"], optional: STORE_COLUMNS.filter((c) => c !== "Store") },
    {
      onHeader: (idx) => {
        parseRow = rowParser(STORE_ROW, idx);
      },
      onRecord: ({ fields, line }) => {
        const parsed = parseRow!(fields);
        if (!parsed.success) {
          report.storeRowsSkipped++;
          pushBad(report, { line, reason: formatIssues(parsed.error), file });
          return;
        }
        const r = parsed.data;
        out.push({ store: r.Store, storeType: r.StoreType, assortment: r.Assortment });
      },
      onBad: (line, reason) => {
        report.storeRowsSkipped++;
        pushBad(report, { line, reason, file });
      },
    },
  );
  return out;
}
