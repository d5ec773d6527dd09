/**
 * Loads a Rossmann-format history file into the configured database (DATABASE_URL, or PGlite in
 * PGLITE_DIR), keeping the newest months and shifting dates so the newest day becomes yesterday.
 *
 *   npm run load-history -- --csv train.csv [--calendar test.csv] [--stores store.csv] [--months 5]
 *
 * Progress and bad rows go to stderr, the summary to stdout. Exit codes: 0 every row loaded,
 * 2 some rows skipped (the rest loaded), 1 fatal error (one line on stderr, nothing written).
 */
import { MultiBar, Presets, type SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { scoreDays, scoreSafely } from "../app/monitoring/scoring.server.js";
import { ConfigError, loadConfig } from "../app/platform/config.server.js";
import { type Database, DatabaseUnreachableError, openDatabase } from "../app/platform/db.server.js";
import { loadHistory } from "../app/sales/history/load.server.js";
import { HistoryLoadError, type LoadProgress, type LoadReport } from "../app/sales/history/load-report.js";

/** Bad rows printed; the rest are counted. */
const MAX_PRINTED_BAD_ROWS = 50;

interface CliOptions {
  csv: string;
  calendar?: string;
  stores?: string;
  product?: string;
  months: number;
  today?: string;
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1 || n > 1200) throw new InvalidArgumentError("expected 1 to 1200.");
  return n;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();
const fmt = (n: number) => n.toLocaleString("en-US");

/** Progress on stderr: a bar per stage on a terminal, a few plain lines otherwise (logs, CI). */
function progressReporter(): { update: (p: LoadProgress) => void; stop: () => void } {
  const labels: Record<LoadProgress["stage"], string> = {
    read: "reading rows   ",
    write: "writing sales  ",
    calendar: "writing plan   ",
  };
  if (process.stderr.isTTY) {
    const multi = new MultiBar(
      // A 30-character bar keeps the line within 80 columns for a million rows.
      {
        format: "{stage} [{bar}] {percentage}% | {value}/{total} | {duration_formatted}",
        hideCursor: true,
        barsize: 30,
      },
      Presets.shades_classic,
    );
    const bars = new Map<string, SingleBar>();
    return {
      update({ stage, done, total }) {
        let bar = bars.get(stage);
        if (!bar) {
          bar = multi.create(total ?? done, 0, { stage: labels[stage] });
          bars.set(stage, bar);
        }
        if (total !== undefined) bar.setTotal(total);
        bar.update(done);
      },
      stop: () => multi.stop(),
    };
  }
  const quarter = new Map<string, number>();
  return {
    update({ stage, done, total }) {
      const q = total ? Math.floor((done / total) * 4) : 0;
      if (quarter.get(stage) === q) return;
      quarter.set(stage, q);
      const pct = total ? ` (${Math.min(100, Math.round((done / total) * 100))}%)` : "";
      // The read total is an estimate from the bytes read so far; the write totals are exact.
      const of = total ? ` of ${stage === "read" ? "~" : ""}${fmt(total)}` : "";
      process.stderr.write(`${labels[stage].trim()}: ${fmt(done)}${of}${pct}\n`);
    },
    stop() {},
  };
}

function shiftDate(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

function printBadRows(report: LoadReport): void {
  const skipped = report.rowsSkipped + report.calendarRowsSkipped + report.storeRowsSkipped;
  for (const bad of report.badRows.slice(0, MAX_PRINTED_BAD_ROWS)) {
    process.stderr.write(`${bad.file ? `${bad.file} ` : ""}line ${bad.line}: ${bad.reason}\n`);
  }
  const printed = Math.min(report.badRows.length, MAX_PRINTED_BAD_ROWS);
  if (skipped > printed) process.stderr.write(`... and ${fmt(skipped - printed)} more bad rows\n`);
}

function summary(report: LoadReport, opts: CliOptions, db: Database): string {
  const rate = report.seconds > 0 ? Math.round(report.rowsRead / report.seconds) : 0;
  const row = (label: string, value: string, note = "") => `  ${label.padEnd(22)}${value.padStart(12)}${note}`;
  const lines = [
    `load-history: ${opts.csv} into ${db.kind} at ${db.location}`,
    row("rows read", fmt(report.rowsRead)),
    row(
      "rows loaded",
      fmt(report.rowsLoaded),
      report.rowsUnchanged > 0 ? `  (${fmt(report.rowsUnchanged)} already stored unchanged)` : "",
    ),
    row("rows skipped", fmt(report.rowsSkipped), report.rowsSkipped > 0 ? "  (bad rows, listed on stderr)" : ""),
    row("outside the window", fmt(report.rowsOutsideWindow), `  (older than ${opts.months} months)`),
  ];
  if (report.rowsDuplicate > 0) {
    lines.push(row("duplicates", fmt(report.rowsDuplicate), "  (same store/product/date again; the later line won)"));
  }
  if (report.to) {
    const sign = report.shiftDays >= 0 ? "+" : "";
    lines.push(
      row(
        "date shift",
        `${sign}${fmt(report.shiftDays)} days`,
        `  (newest ${shiftDate(report.to, -report.shiftDays)} became ${report.to})`,
      ),
      row("date range", `${report.from} .. ${report.to}`),
    );
  }
  lines.push(
    row("stores", fmt(report.stores), opts.stores ? `  (${fmt(report.storeRows)} rows from ${opts.stores})` : ""),
    row(
      "products",
      fmt(report.products.length),
      report.products.length > 0
        ? `  (${report.products.slice(0, 5).join(", ")}${report.products.length > 5 ? ", ..." : ""})`
        : "",
    ),
    row("calendar rows", fmt(report.calendarRows), opts.calendar ? `  (from ${opts.calendar})` : "  (no --calendar)"),
  );
  if (report.calendarRowsSkipped > 0) lines.push(row("calendar rows skipped", fmt(report.calendarRowsSkipped)));
  if (report.storeRowsSkipped > 0) lines.push(row("store rows skipped", fmt(report.storeRowsSkipped)));
  lines.push(row("seconds", report.seconds.toFixed(2), `  (${fmt(rate)} rows read/s)`));
  for (const w of report.warnings) lines.push(`  note: ${w}`);
  return lines.join("\n");
}

async function main(opts: CliOptions): Promise<number> {
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
  const progress = progressReporter();
  let report: LoadReport;
  try {
    report = await loadHistory(db, {
      csv: opts.csv,
      calendarCsv: opts.calendar,
      storesCsv: opts.stores,
      product: opts.product,
      months: opts.months,
      today: opts.today,
      onProgress: progress.update,
    });
    // Actuals loaded for days that had a forecast in production are scored (realized accuracy).
    const warn = (obj: object, msg: string) =>
      process.stderr.write(`load-history: ${msg} (${String((obj as { err?: unknown }).err)})\n`);
    const loaded = report;
    const scored =
      loaded.rowsLoaded > 0
        ? await scoreSafely({ warn }, "history load", () => scoreDays(db, loaded.from, loaded.to))
        : null;
    if (scored && scored.inserted + scored.updated > 0) {
      process.stdout.write(`load-history: ${fmt(scored.inserted + scored.updated)} forecast days scored\n`);
    }
  } finally {
    progress.stop();
    await db.close();
  }
  printBadRows(report);
  process.stdout.write(`${summary(report, opts, db)}\n`);
  const skipped = report.rowsSkipped + report.calendarRowsSkipped + report.storeRowsSkipped;
  if (skipped > 0) {
    process.stdout.write(
      `load-history: loaded with ${fmt(skipped)} bad row${skipped === 1 ? "" : "s"} skipped (exit code 2)\n`,
    );
    return 2;
  }
  process.stdout.write("load-history: all rows fine\n");
  return 0;
}

const program = new Command()
  .name("load-history")
  .description("Load a Rossmann-format history CSV (train.csv) into the database, shifted to end yesterday.")
  .requiredOption("--csv <file>", "history file (Kaggle train.csv format; optional ProductName column)")
  .option("--calendar <file>", "store calendar for coming days (Kaggle test.csv format)")
  .option("--stores <file>", "store attributes (Kaggle store.csv format)")
  .option("--product <name>", "product name when the file has no ProductName column", "product_A")
  .option("--months <n>", "calendar months of history to keep, ending at the newest date", positiveInt, 5)
  .option("--today <date>", "pretend today is this YYYY-MM-DD (default: today, UTC)")
  .allowExcessArguments(false);

program.parse();
try {
  process.exitCode = await main(program.opts<CliOptions>());
} catch (err) {
  const known =
    err instanceof HistoryLoadError || err instanceof ConfigError || err instanceof DatabaseUnreachableError;
  const message = err instanceof Error ? err.message || err.name : String(err);
  process.stderr.write(`load-history: ${known ? "" : "unexpected error: "}${oneLine(message)}\n`);
  if (!known && process.env.DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  process.exitCode = 1;
}
