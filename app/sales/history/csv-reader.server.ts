/**
 * Streaming a CSV file through csv-parse for the history loader: columns resolved by header name,
 * every record handed on with its physical line number, and rows with the wrong number of fields or
 * broken quoting reported (by line) rather than fatal.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { parse } from "csv-parse";
import { HistoryLoadError } from "./load-report.js";

const READ_PROGRESS_EVERY = 16_384;

export interface ColumnSpec {
  required: readonly string[];
  optional: readonly string[];
}

export interface CsvRecord {
  fields: string[];
  line: number;
}

export interface CsvReadHooks {
  /** Called with the header-resolved column indexes before the first record. */
  onHeader?: (index: Map<string, number>) => void;
  onRecord: (rec: CsvRecord) => void;
  onBad: (line: number, reason: string) => void;
  onProgress?: (records: number, estimatedTotal: number | undefined) => void;
}

/** The file's size; throws HistoryLoadError when it is missing or not a readable file. */
export async function openable(file: string, what: string): Promise<number> {
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new HistoryLoadError(`${what} ${file} is not a file`);
    return s.size;
  } catch (err) {
    if (err instanceof HistoryLoadError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    throw new HistoryLoadError(
      code === "ENOENT" ? `${what} ${file} does not exist` : `cannot read ${what} ${file}: ${(err as Error).message}`,
    );
  }
}

/** Newlines inside quoted fields: a record's first line is its last line minus these. */
function embeddedNewlines(fields: string[]): number {
  let n = 0;
  for (const f of fields) {
    let i = f.indexOf("\n");
    while (i >= 0) {
      n++;
      i = f.indexOf("\n", i + 1);
    }
  }
  return n;
}

function malformedReason(err: Error): string {
  return `malformed CSV: ${err.message.replace(/ at line \d+/, "").replace(/ instead of delimiter.*$/, "")}`;
}

/**
 * Streams a CSV file through csv-parse, resolving columns by header name (case-insensitive). Rows
 * with the wrong number of fields or broken quoting go to onBad with their physical line number.
 * Returns the number of data records (good and bad).
 */
export async function readCsv(file: string, what: string, spec: ColumnSpec, hooks: CsvReadHooks): Promise<number> {
  const size = await openable(file, what);
  const source = createReadStream(file, { highWaterMark: 1 << 20 });
  const parser = parse({
    info: true,
    bom: true,
    skip_empty_lines: true,
    // Field counts and quoting are checked per row below, so one bad line is reported, not fatal.
    relax_column_count: true,
    relax_quotes: true,
    skip_records_with_error: true,
  });
  let header: Map<string, number> | undefined;
  let width = 0;
  let records = 0;
  await new Promise<void>((resolve, reject) => {
    const fail = (err: unknown) => {
      source.destroy();
      parser.destroy();
      reject(
        err instanceof HistoryLoadError
          ? err
          : new HistoryLoadError(`cannot read ${what} ${file}: ${(err as Error).message}`),
      );
    };
    parser.on("skip", (err: Error & { lines?: number }) => {
      if (!header) {
        fail(new HistoryLoadError(`${what} ${file}: unreadable header line: ${malformedReason(err)}`));
        return;
      }
      records++;
      hooks.onBad(err.lines ?? 0, malformedReason(err));
    });
    // A 'data' handler rather than for-await: measured ~15% faster on a 1M-row file.
    parser.on("data", ({ record, info }: { record: string[]; info: { lines: number; bytes: number } }) => {
      try {
        const line = info.lines - embeddedNewlines(record);
        if (!header) {
          header = resolveHeader(record, spec, file, what);
          width = record.length;
          hooks.onHeader?.(header);
          return;
        }
        records++;
        if (record.length !== width) hooks.onBad(line, `expected ${width} columns, got ${record.length}`);
        else hooks.onRecord({ fields: record, line });
        if (hooks.onProgress && records % READ_PROGRESS_EVERY === 0) {
          hooks.onProgress(records, info.bytes > 0 ? Math.round((records * size) / info.bytes) : undefined);
        }
      } catch (err) {
        fail(err);
      }
    });
    parser.on("end", resolve);
    parser.on("error", fail);
    source.on("error", fail);
    source.pipe(parser);
  });
  if (!header) throw new HistoryLoadError(`${what} ${file} is empty: expected a header line`);
  hooks.onProgress?.(records, records);
  return records;
}

function resolveHeader(record: string[], spec: ColumnSpec, file: string, what: string): Map<string, number> {
  const byName = new Map<string, number>();
  record.forEach((name, i) => {
    const key = name.trim().toLowerCase();
    if (key !== "" && !byName.has(key)) byName.set(key, i);
  });
  const missing = spec.required.filter((c) => !byName.has(c.toLowerCase()));
  if (missing.length > 0) {
    const found = record.map((c) => c.trim()).join(",");
    throw new HistoryLoadError(
      `${what} ${file}: missing required column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} in the header (found: ${found.slice(0, 200)})`,
    );
  }
  const index = new Map<string, number>();
  for (const c of [...spec.required, ...spec.optional]) {
    const i = byName.get(c.toLowerCase());
    if (i !== undefined) index.set(c, i);
  }
  return index;
}
