/**
 * Generates a deterministic Rossmann-format data set (history, stream, calendar, stores).
 *
 *   npm run generate-data -- --stores 1115 --products 1 --days 160 --seed 42 --out ./data/generated
 *
 * Progress goes to stderr, the summary to stdout. Bad options: one line on stderr, exit code 1.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import { parseDay } from "../app/days.js";
import { writeGeneratedData } from "../app/sales/generator/csv-files.server.js";
import { OPTION_LIMITS } from "../app/sales/generator/options.js";
import { productName } from "../app/sales/generator/profiles.js";
import { integerOption } from "./cli-options.js";

function date(value: string): string {
  const year = Number(value.slice(0, 4));
  if (parseDay(value) === undefined || year < 1900 || year > 2999) {
    throw new InvalidArgumentError("expected a date YYYY-MM-DD (years 1900-2999).");
  }
  return value;
}

function yesterdayUtc(): string {
  return new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
}

function mb(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

interface CliOptions {
  stores: number;
  products: number;
  days: number;
  endDate?: string;
  seed: number;
  out: string;
}

const L = OPTION_LIMITS;
const program = new Command()
  .name("generate-data")
  .description(
    "Generate deterministic Rossmann-format CSVs: history, the newest 10 days (stream), 42-day plan, stores.",
  )
  .option(
    "--stores <n>",
    `number of stores (${L.stores.min}-${L.stores.max})`,
    integerOption(L.stores.min, L.stores.max),
    1115,
  )
  .option(
    "--products <n>",
    `number of products, named ${productName(0)}, ${productName(1)}, ... (${L.products.min}-${L.products.max})`,
    integerOption(L.products.min, L.products.max),
    1,
  )
  .option(
    "--days <n>",
    `generated days, including the 10 held-out stream days (${L.days.min}-${L.days.max})`,
    integerOption(L.days.min, L.days.max),
    160,
  )
  .option("--end-date <date>", "last generated day, YYYY-MM-DD (default: yesterday, UTC)", date)
  .option("--seed <n>", `random seed (${L.seed.min}-${L.seed.max})`, integerOption(L.seed.min, L.seed.max), 42)
  .option("--out <dir>", "output directory", "./data/generated")
  .allowExcessArguments(false);

program.parse();
const opts = program.opts<CliOptions>();
const endDate = opts.endDate ?? yesterdayUtc();

// A redrawn line on a terminal; a few milestones otherwise (logs, CI).
const tty = process.stderr.isTTY === true;
let lastShown = -1;
function progress(done: number, total: number): void {
  const pct = Math.floor((done / total) * 100);
  if (tty) {
    if (pct !== lastShown) process.stderr.write(`\rgenerating sales rows: ${pct}% (${done}/${total})`);
    if (done === total) process.stderr.write("\n");
  } else if (Math.floor(pct / 25) !== Math.floor(lastShown / 25)) {
    process.stderr.write(`generating sales rows: ${pct}% (${done}/${total})\n`);
  }
  lastShown = pct;
}

const started = performance.now();
process.stderr.write(
  `generate-data: ${opts.stores} stores x ${opts.products} product(s) x ${opts.days} days ending ${endDate}, seed ${opts.seed}\n`,
);
try {
  const res = await writeGeneratedData({
    stores: opts.stores,
    products: opts.products,
    days: opts.days,
    endDate,
    seed: opts.seed,
    outDir: opts.out,
    onProgress: progress,
  });
  const seconds = (performance.now() - started) / 1000;
  const lines: Array<[string, string, number]> = [
    ["history", res.historyCsv, res.historyRows],
    ["stream", res.streamCsv, res.streamRows],
    ["calendar", res.calendarCsv, res.calendarRows],
    ["stores", res.storesCsv, opts.stores],
  ];
  const out = [`Generated in ${seconds.toFixed(2)} s into ${path.dirname(res.historyCsv)}`];
  for (const [label, file, rows] of lines) {
    const { size } = await stat(file);
    out.push(`  ${label.padEnd(9)}${path.basename(file).padEnd(28)}${String(rows).padStart(10)} rows  ${mb(size)}`);
  }
  process.stdout.write(`${out.join("\n")}\n`);
} catch (err) {
  process.stderr.write(`generate-data: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
