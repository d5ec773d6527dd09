/**
 * The producer's source rows: a Rossmann-format CSV (train.csv columns, optional ProductName), of
 * which the newest STREAM_DAYS days are kept, in file order. The generated
 * `train_only_last_10d.csv` is exactly those days; Kaggle's whole train.csv works too.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import path from "node:path";
import { parse } from "csv-parse";
import { z } from "zod";
import { formatDay } from "../days.js";
import { DEFAULT_PRODUCT, PRODUCT_COLUMN, salesCsvRow, TRAIN_COLUMNS } from "../rossmann.js";
import { GENERATED_FILE_NAMES } from "./generator/csv-files.server.js";
import { STREAM_DAYS } from "./generator/options.js";
import type { SourceRow } from "./stream-records.js";

export class StreamSourceError extends Error {
  override name = "StreamSourceError";
}

export interface StreamSource {
  file: string;
  rows: SourceRow[];
  /** Valid rows read, before keeping the newest days. */
  rowsRead: number;
  /** Rows that failed validation (skipped). */
  rowsSkipped: number;
  /** Date range of the kept rows (YYYY-MM-DD). */
  from: string;
  to: string;
}

/** The default source: STREAM_CSV, else the generated stream file under DATA_DIR. */
export function streamSourceFile(config: { STREAM_CSV?: string; DATA_DIR: string }): string {
  return config.STREAM_CSV ?? path.join(config.DATA_DIR, "generated", GENERATED_FILE_NAMES.stream);
}

const SALES_ROW = z.compile(salesCsvRow);

export async function readStreamSource(file: string, opts: { days?: number } = {}): Promise<StreamSource> {
  try {
    if (!(await stat(file)).isFile()) throw new StreamSourceError(`stream file ${file} is not a file`);
  } catch (err) {
    if (err instanceof StreamSourceError) throw err;
    throw new StreamSourceError(
      (err as NodeJS.ErrnoException).code === "ENOENT"
        ? `stream file ${file} does not exist`
        : `cannot read stream file ${file}: ${(err as Error).message}`,
    );
  }
  const days = opts.days ?? STREAM_DAYS;
  const parsed: { row: SourceRow; day: number }[] = [];
  let skipped = 0;
  let index: Map<string, number> | undefined;
  const record: Record<string, string | undefined> = {};
  const parser = createReadStream(file).pipe(
    parse({ bom: true, skip_empty_lines: true, relax_column_count: true, skip_records_with_error: true }),
  );
  try {
    for await (const fields of parser as AsyncIterable<string[]>) {
      if (!index) {
        const byName = new Map(fields.map((name, i) => [name.trim().toLowerCase(), i] as const));
        const missing = TRAIN_COLUMNS.filter((c) => c !== "DayOfWeek" && !byName.has(c.toLowerCase()));
        if (missing.length > 0) {
          throw new StreamSourceError(
            `stream file ${file}: missing column${missing.length > 1 ? "s" : ""} ${missing.join(", ")}`,
          );
        }
        index = new Map();
        for (const c of [...TRAIN_COLUMNS, PRODUCT_COLUMN]) {
          const i = byName.get(c.toLowerCase());
          if (i !== undefined) index.set(c, i);
        }
        continue;
      }
      for (const [c, i] of index) record[c] = fields[i];
      const r = SALES_ROW.safeParse(record);
      if (!r.success) {
        skipped++;
        continue;
      }
      const v = r.data;
      parsed.push({
        day: v.Date,
        row: {
          store: v.Store,
          productname: v.ProductName ?? DEFAULT_PRODUCT,
          sales: v.Sales,
          customers: v.Customers,
          open: v.Open,
          promo: v.Promo,
          stateholiday: v.StateHoliday,
          schoolholiday: v.SchoolHoliday,
        },
      });
    }
  } catch (err) {
    if (err instanceof StreamSourceError) throw err;
    throw new StreamSourceError(`cannot read stream file ${file}: ${(err as Error).message}`);
  }
  if (parsed.length === 0) throw new StreamSourceError(`stream file ${file} has no valid rows`);
  let newest = parsed[0]!.day;
  for (const p of parsed) if (p.day > newest) newest = p.day;
  const first = newest - days + 1;
  const kept = parsed.filter((p) => p.day >= first);
  let oldest = newest;
  for (const p of kept) if (p.day < oldest) oldest = p.day;
  return {
    file,
    rows: kept.map((p) => p.row),
    rowsRead: parsed.length,
    rowsSkipped: skipped,
    from: formatDay(oldest),
    to: formatDay(newest),
  };
}
