import path from "node:path";
import { formatDay, todayDay } from "../../app/days.js";
import type { Database } from "../../app/platform/db.server.js";
import { type GeneratedFiles, writeGeneratedData } from "../../app/sales/generator/csv-files.server.js";
import { STREAM_DAYS } from "../../app/sales/generator/options.js";
import { loadHistory } from "../../app/sales/history/load.server.js";
import { tempDir } from "./processes.js";

/**
 * Generates `stores` stores of one product, 160 days, and loads their history into `db`. The newest
 * days are held out for the stream: the data ends STREAM_DAYS - 1 days ahead so history ends yesterday.
 */
export async function loadGeneratedHistory(
  db: Database,
  opts: { stores: number; seed: number; tempPrefix: string },
): Promise<GeneratedFiles> {
  const files = await writeGeneratedData({
    stores: opts.stores,
    products: 1,
    days: 160,
    endDate: formatDay(todayDay() + STREAM_DAYS - 1),
    seed: opts.seed,
    outDir: path.join(tempDir(opts.tempPrefix), "data"),
  });
  await loadHistory(db, { csv: files.historyCsv, calendarCsv: files.calendarCsv, storesCsv: files.storesCsv });
  return files;
}
