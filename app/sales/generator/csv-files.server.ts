/**
 * Writing the generated data as Kaggle-style CSV files (history, stream, calendar, stores): the
 * generator's only I/O.
 */
import { once } from "node:events";
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import path from "node:path";
import { CALENDAR_COLUMNS, PRODUCT_COLUMN, type SalesRow, STORE_COLUMNS, TRAIN_COLUMNS } from "../../rossmann.js";
import { type GenerateOptions, STREAM_DAYS, validateGenerateOptions } from "./options.js";
import { generateStores } from "./profiles.js";
import { generateCalendar, generateSalesDays } from "./sales-model.js";

export interface WriteGeneratedDataOptions extends GenerateOptions {
  outDir: string;
  /** Called after each generated day with sales rows written so far and the total. */
  onProgress?: (done: number, total: number) => void;
}

export interface GeneratedFiles {
  historyCsv: string;
  streamCsv: string;
  calendarCsv: string;
  storesCsv: string;
  historyRows: number;
  streamRows: number;
  calendarRows: number;
}

export const GENERATED_FILE_NAMES = {
  history: "train_exclude_last_10d.csv",
  stream: "train_only_last_10d.csv",
  calendar: "test.csv",
  stores: "store.csv",
} as const;

export function salesCsvHeader(products: number): string {
  return `${[...TRAIN_COLUMNS, ...(products > 1 ? [PRODUCT_COLUMN] : [])].join(",")}\n`;
}

export function salesCsvLine(r: SalesRow, withProduct: boolean): string {
  const base = `${r.store},${r.dayofweek},${r.date},${r.sales},${r.customers},${r.open},${r.promo},${r.stateholiday},${r.schoolholiday}`;
  return withProduct ? `${base},${r.productname}\n` : `${base}\n`;
}

/** Writes to `<file>.tmp` and renames on success, so a crash never leaves a plausible-looking partial file. */
class CsvOut {
  readonly tmp: string;
  private readonly stream: WriteStream;
  private failure: Error | undefined;

  constructor(readonly file: string) {
    this.tmp = `${file}.tmp`;
    this.stream = createWriteStream(this.tmp, { highWaterMark: 1 << 20 });
    this.stream.on("error", (err) => {
      this.failure ??= err;
    });
  }

  async write(chunk: string): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.stream.write(chunk)) await once(this.stream, "drain");
  }

  async close(): Promise<void> {
    if (this.failure) throw this.failure;
    await new Promise<void>((resolve, reject) => {
      this.stream.once("error", reject);
      this.stream.end(() => resolve());
    });
    await rename(this.tmp, this.file);
  }

  async abort(): Promise<void> {
    this.stream.destroy();
    await rm(this.tmp, { force: true });
  }
}

/** Flush threshold for batching lines into one write() call. */
const CHUNK_CHARS = 1 << 18;

/**
 * Writes history, stream, calendar and store files into outDir (created if needed). Quiet unless
 * onProgress is given; memory stays at about one day of rows.
 */
export async function writeGeneratedData(opts: WriteGeneratedDataOptions): Promise<GeneratedFiles> {
  const gen: GenerateOptions = {
    stores: opts.stores,
    products: opts.products,
    days: opts.days,
    endDate: opts.endDate,
    seed: opts.seed,
    ...(opts.events ? { events: opts.events } : {}),
  };
  validateGenerateOptions(gen);
  const dir = path.resolve(opts.outDir);
  await mkdir(dir, { recursive: true });
  const files = {
    historyCsv: path.join(dir, GENERATED_FILE_NAMES.history),
    streamCsv: path.join(dir, GENERATED_FILE_NAMES.stream),
    calendarCsv: path.join(dir, GENERATED_FILE_NAMES.calendar),
    storesCsv: path.join(dir, GENERATED_FILE_NAMES.stores),
  };
  const outs = [
    new CsvOut(files.storesCsv),
    new CsvOut(files.calendarCsv),
    new CsvOut(files.historyCsv),
    new CsvOut(files.streamCsv),
  ] as const;
  const [storesOut, calendarOut, historyOut, streamOut] = outs;

  try {
    let buf = `${STORE_COLUMNS.join(",")}\n`;
    for (const s of generateStores(gen)) buf += `${s.store},${s.store_type},${s.assortment}\n`;
    await storesOut.write(buf);

    let calendarRows = 0;
    buf = `${CALENDAR_COLUMNS.join(",")}\n`;
    for (const r of generateCalendar(gen)) {
      buf += `${r.id},${r.store},${r.dayofweek},${r.date},${r.open},${r.promo},${r.stateholiday},${r.schoolholiday}\n`;
      calendarRows++;
      if (buf.length >= CHUNK_CHARS) {
        await calendarOut.write(buf);
        buf = "";
      }
    }
    await calendarOut.write(buf);

    const withProduct = gen.products > 1;
    const header = salesCsvHeader(gen.products);
    await historyOut.write(header);
    await streamOut.write(header);
    const total = gen.stores * gen.products * gen.days;
    let done = 0;
    let historyRows = 0;
    let streamRows = 0;
    let dayIndex = 0;
    for (const { rows } of generateSalesDays(gen)) {
      const toStream = dayIndex < STREAM_DAYS;
      const out = toStream ? streamOut : historyOut;
      buf = "";
      for (const r of rows) {
        buf += salesCsvLine(r, withProduct);
        if (buf.length >= CHUNK_CHARS) {
          await out.write(buf);
          buf = "";
        }
      }
      await out.write(buf);
      if (toStream) streamRows += rows.length;
      else historyRows += rows.length;
      done += rows.length;
      dayIndex++;
      opts.onProgress?.(done, total);
    }

    for (const o of outs) await o.close();
    return { ...files, historyRows, streamRows, calendarRows };
  } catch (err) {
    await Promise.all(outs.map((o) => o.abort()));
    throw err;
  }
}
