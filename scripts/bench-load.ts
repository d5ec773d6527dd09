/**
 * Benchmarks the history loader on generated data: 1,115 stores x 150 days (~167k rows) into a fresh
 * on-disk PGlite and, when DATABASE_URL is set (or --postgres URL is given), into Postgres. Each
 * target is loaded twice: the first load into empty tables, then a re-run of the same files (every
 * row an upsert of an identical row; the row count must not change).
 *
 *   npm run bench:load [-- --postgres URL] [--stores 1115] [--days 150] [--truncate] [--keep-files]
 *
 * Postgres runs in a scratch schema created for the run and dropped afterwards, so it starts empty
 * without touching anyone's tables; --truncate instead uses the URL's own schema and truncates
 * rossman_sales, store_calendar and stores first.
 * Exit code 0 when every run meets its target (Postgres <= 10 s, PGlite <= 30 s), 1 otherwise.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import pg from "pg";
import { type Database, openDatabase } from "../app/platform/db.server.js";
import { writeGeneratedData } from "../app/sales/generator/csv-files.server.js";
import { STREAM_DAYS } from "../app/sales/generator/options.js";
import { loadHistory } from "../app/sales/history/load.server.js";
import type { LoadReport } from "../app/sales/history/load-report.js";
import { withSearchPath } from "../tests/support/databases.js";
import { integerOption } from "./cli-options.js";

const TARGET_SECONDS = { postgres: 10, pglite: 30 } as const;

interface CliOptions {
  postgres?: string;
  stores: number;
  days: number;
  truncate: boolean;
  keepFiles: boolean;
}

interface Run {
  target: string;
  run: string;
  rows: number;
  tableRows: number;
  readSeconds: number;
  wallSeconds: number;
  limit: number;
}

const log = (s: string) => process.stderr.write(`bench-load: ${s}\n`);

async function timedLoad(
  db: Database,
  files: Files,
): Promise<{ report: LoadReport; readSeconds: number; wall: number }> {
  const started = performance.now();
  let readDone = 0;
  const report = await loadHistory(db, {
    csv: files.historyCsv,
    calendarCsv: files.calendarCsv,
    storesCsv: files.storesCsv,
    onProgress: ({ stage }) => {
      // The first write event marks the end of reading and validating the three files.
      if (stage !== "read" && readDone === 0) readDone = performance.now();
    },
  });
  const end = performance.now();
  return { report, readSeconds: ((readDone || end) - started) / 1000, wall: (end - started) / 1000 };
}

interface Files {
  historyCsv: string;
  calendarCsv: string;
  storesCsv: string;
}

async function benchTarget(label: string, db: Database, files: Files, limit: number): Promise<Run[]> {
  const runs: Run[] = [];
  for (const run of ["first load", "re-run"]) {
    const { report, readSeconds, wall } = await timedLoad(db, files);
    const [count] = await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM rossman_sales");
    runs.push({
      target: label,
      run,
      rows: report.rowsLoaded,
      tableRows: count?.n ?? 0,
      readSeconds,
      wallSeconds: wall,
      limit,
    });
    log(`${label} ${run}: ${report.rowsLoaded} rows in ${wall.toFixed(2)} s`);
  }
  return runs;
}

async function benchPGlite(files: Files): Promise<Run[]> {
  // On disk, like production, in a directory of its own so every run starts empty.
  const dir = await mkdtemp(path.join(os.tmpdir(), "storecast-bench-pglite-"));
  try {
    const db = await openDatabase({ pgliteDir: path.join(dir, "db") });
    try {
      return await benchTarget("PGlite", db, files, TARGET_SECONDS.pglite);
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function benchPostgres(url: string, truncate: boolean, files: Files): Promise<Run[]> {
  if (truncate) {
    const db = await openDatabase({ databaseUrl: url });
    try {
      await db.sql.exec("TRUNCATE rossman_sales, store_calendar, stores");
      return await benchTarget("Postgres", db, files, TARGET_SECONDS.postgres);
    } finally {
      await db.close();
    }
  }
  const schema = `storecast_bench_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const db = await openDatabase({ databaseUrl: withSearchPath(url, schema) });
    try {
      return await benchTarget("Postgres", db, files, TARGET_SECONDS.postgres);
    } finally {
      await db.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await admin.end();
  }
}

function table(runs: Run[]): string {
  const head = ["target", "run", "rows", "in table", "read s", "wall s", "rows/s", "target", "result"];
  const body = runs.map((r) => [
    r.target,
    r.run,
    r.rows.toLocaleString("en-US"),
    r.tableRows.toLocaleString("en-US"),
    r.readSeconds.toFixed(2),
    r.wallSeconds.toFixed(2),
    Math.round(r.rows / r.wallSeconds).toLocaleString("en-US"),
    `<= ${r.limit} s`,
    passed(r) ? "pass" : "FAIL",
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}

/** Within the time limit, and the re-run left exactly one row per key (no duplicates). */
function passed(r: Run): boolean {
  return r.wallSeconds <= r.limit && r.tableRows === r.rows;
}

async function main(opts: CliOptions): Promise<number> {
  const postgresUrl = opts.postgres ?? (process.env.DATABASE_URL || undefined);
  const outDir = await mkdtemp(path.join(os.tmpdir(), "storecast-bench-data-"));
  try {
    const endDate = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const genStarted = performance.now();
    // The generator's days include the held-out stream days; ask for that many more.
    const generated = await writeGeneratedData({
      stores: opts.stores,
      products: 1,
      days: opts.days + STREAM_DAYS,
      endDate,
      seed: 42,
      outDir,
    });
    log(
      `generated ${generated.historyRows} history rows (${opts.stores} stores x ${opts.days} days) in ${((performance.now() - genStarted) / 1000).toFixed(1)} s`,
    );

    const runs: Run[] = [];
    runs.push(...(await benchPGlite(generated)));
    if (postgresUrl) runs.push(...(await benchPostgres(postgresUrl, opts.truncate, generated)));
    else log("Postgres skipped: set DATABASE_URL or pass --postgres URL");

    const peakMb = process.resourceUsage().maxRSS / 1024;
    process.stdout.write(
      `${table(runs)}\n\npeak RSS of this process: ${peakMb.toFixed(0)} MB (PGlite runs in-process)\n`,
    );
    return runs.every(passed) ? 0 : 1;
  } finally {
    if (opts.keepFiles) log(`files kept in ${outDir}`);
    else await rm(outDir, { recursive: true, force: true });
  }
}

const program = new Command()
  .name("bench-load")
  .description("Time the history loader on generated data into PGlite and, if configured, Postgres.")
  .option("--postgres <url>", "Postgres URL (default: DATABASE_URL)")
  .option("--stores <n>", "stores", integerOption(1, 100_000), 1115)
  .option("--days <n>", "days of history", integerOption(1, 5000), 150)
  .option("--truncate", "use the URL's schema as is, truncating the three tables first", false)
  .option("--keep-files", "keep the generated CSV files", false)
  .allowExcessArguments(false);

program.parse();
try {
  process.exitCode = await main(program.opts<CliOptions>());
} catch (err) {
  process.stderr.write(`bench-load: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
