/**
 * Benchmarks forecast monitoring on 1,115 stores (docs/decisions/0027), on an on-disk PGlite and,
 * when DATABASE_URL is set (or --postgres URL is given), on Postgres in a scratch schema dropped
 * afterwards.
 *
 *   npm run bench:monitoring [-- --postgres URL] [--stores 1115] [--history-days 28] [--days 5]
 *
 * Scoring: every store has a production model and two weekly forecasts overlapping each day (an
 * older version made 8 days before, the one in production made the day before), and
 * --history-days days already scored. Then --days further days of actuals are scored one day at a
 * time, as the stream consumer scores a batch (scoreActuals on that day's 1,115 keys), and each day
 * once more unchanged (a re-sent day: must write nothing). Target: a day scored in <= 1 s.
 * Then the drift check's sweep of the last 35 days: once with everything scored (must write
 * nothing), once with the last week's scores deleted (must write exactly them back).
 *
 * Drift detection against a simulated reality (tests/support/monitoring-world.ts): --drift-stores
 * generated stores trained, then 21 days of actuals streamed; from day 8, 2% of the stores lose 30%
 * of their sales, 2% move Saturday's sales to Monday and 2% see their promos stop lifting sales.
 * The world runs twice, with AUTO_RETRAIN=on and with suggest (the weekly training only), to measure
 * what the retrains change. Targets: recall >= 90% within 7 days of a change showing; false
 * positives <= 2% of the series (ever flagged in the 21 days). The anomaly pass has its own bench,
 * scripts/bench-anomalies.ts.
 * Prints a `measure | value | target` table; exit code 0 when every target is met, 1 otherwise.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import pg from "pg";
import { formatDay, todayDay } from "../app/days.js";
import { createModelPool } from "../app/model/pool.server.js";
import { fleetAccuracy, seriesAccuracy } from "../app/monitoring/accuracy.server.js";
import { DEFAULT_SCORE_SWEEP_DAYS } from "../app/monitoring/jobs.server.js";
import { scoreActuals, scoreDays, sweepScores } from "../app/monitoring/scoring.server.js";
import { type Database, openDatabase } from "../app/platform/db.server.js";
import { MODEL_NAME_PREFIX } from "../app/registry/versions.server.js";
import { SATURDAY_TO_MONDAY } from "../app/sales/generator/store-events.js";
import { withSearchPath } from "../tests/support/databases.js";
import { detectionFigures, pooledRmspe, runWorld, type WorldInjection } from "../tests/support/monitoring-world.js";
import { median, printTable } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const TARGET_SCORE_DAY_S = 1;
const TARGET_RECALL = 0.9;
const TARGET_FP = 0.02;
const WITHIN_DAYS = 7;
const STREAM_DAYS = 21;
const CHANGE_DAY = 7;
const INJECTIONS: WorldInjection[] = [
  { kind: "level", factor: 0.7, share: 0.02, seed: 11, fromDay: CHANGE_DAY },
  { kind: "weekday", factors: SATURDAY_TO_MONDAY, share: 0.02, seed: 12, fromDay: CHANGE_DAY },
  { kind: "promo-stops", share: 0.02, seed: 13, fromDay: CHANGE_DAY },
];
const PRODUCT = "product_A";

interface CliOptions {
  postgres?: string;
  stores: number;
  historyDays: number;
  days: number;
  driftStores: number;
  drift: boolean;
}

type Row = readonly [string, string, string];

const log = (s: string) => process.stderr.write(`bench-monitoring: ${s}\n`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;
const fmt = (n: number) => n.toLocaleString("en-US");

/** Models, versions, forecasts and actuals for `stores` stores over days first..last, set-based. */
async function seed(db: Database, stores: number, first: number, last: number): Promise<void> {
  await db.sql.query(
    `INSERT INTO registered_models (name, store, productname)
     SELECT $2::text || s || '-' || $3::text, s, $3::text FROM generate_series(1, $1::int) s`,
    [stores, MODEL_NAME_PREFIX, PRODUCT],
  );
  await db.sql.exec(
    `INSERT INTO model_versions (model_id, version, stage, config, params, train_start, train_end, train_rows,
                                 cv_rmspe, duration_ms)
     SELECT m.id, v, CASE WHEN v = 2 THEN 'production' ELSE 'archived' END, '{}', '{}', DATE '2030-01-01',
            DATE '2030-04-30', 120, 0.08 + (m.store % 10) / 200.0, 1000
       FROM registered_models m CROSS JOIN generate_series(1, 2) v`,
  );
  // Sales around 5,000 with a weekly shape; Sundays closed (forecast exactly 0 then).
  await db.sql.query(
    `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
     SELECT s, $2::text, DATE '1970-01-01' + d, extract(isodow FROM DATE '1970-01-01' + d)::int,
            CASE WHEN extract(isodow FROM DATE '1970-01-01' + d) = 7 THEN 0 ELSE 4000 + (s * 37 + d * 11) % 2000 END,
            500, CASE WHEN extract(isodow FROM DATE '1970-01-01' + d) = 7 THEN 0 ELSE 1 END, 0, '0', 0
       FROM generate_series(1, $1::int) s CROSS JOIN generate_series($3::int, $4::int) d`,
    [stores, PRODUCT, first, last],
  );
  await db.sql.query(
    `INSERT INTO forecast_results (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci, model_name,
                                   model_version, created_on)
     SELECT s, $2::text, DATE '1970-01-01' + d, f, f * 0.8, f * 1.2, $5::text || s || '-' || $2::text, v,
            (DATE '1970-01-01' + d - CASE WHEN v = 2 THEN 1 ELSE 8 END)::timestamp AT TIME ZONE 'UTC'
       FROM generate_series(1, $1::int) s CROSS JOIN generate_series($3::int, $4::int) d
            CROSS JOIN generate_series(1, 2) v
            CROSS JOIN LATERAL (SELECT CASE WHEN extract(isodow FROM DATE '1970-01-01' + d) = 7 THEN 0::float8
                                            ELSE 4500.0 + (s * 13 + d * 7 + v * 100) % 1000 END AS f) x`,
    [stores, PRODUCT, first, last, MODEL_NAME_PREFIX],
  );
}

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const started = performance.now();
  const value = await work();
  return { value, ms: performance.now() - started };
}

/** The scoring figures on one database; `ok` false when a target is missed or a count is wrong. */
async function benchScoring(label: string, db: Database, opts: CliOptions): Promise<{ rows: Row[]; ok: boolean }> {
  const today = todayDay();
  const first = today - opts.historyDays - opts.days + 1;
  const benchFirst = today - opts.days + 1;
  const s = await timed(() => seed(db, opts.stores, first, today));
  log(`${label}: seeded ${fmt(opts.stores)} stores x ${opts.historyDays + opts.days} days in ${seconds(s.ms)}`);
  const history = await timed(() => scoreDays(db, formatDay(first), formatDay(benchFirst - 1)));
  log(`${label}: ${fmt(history.value.inserted)} history days scored in ${seconds(history.ms)}`);

  const keysOf = (day: number) =>
    Array.from({ length: opts.stores }, (_, i) => ({ store: i + 1, productname: PRODUCT, day }));
  const firstMs: number[] = [];
  const againMs: number[] = [];
  let ok = history.value.inserted === opts.stores * opts.historyDays;
  for (let day = benchFirst; day <= today; day++) {
    const keys = keysOf(day);
    const once = await timed(() => scoreActuals(db, keys));
    const again = await timed(() => scoreActuals(db, keys));
    firstMs.push(once.ms);
    againMs.push(again.ms);
    ok &&= once.value.inserted === opts.stores && again.value.inserted + again.value.updated === 0;
  }
  const sweepDays = DEFAULT_SCORE_SWEEP_DAYS;
  const sweepSeen = opts.stores * Math.min(sweepDays, opts.historyDays + opts.days);
  const unchanged = await timed(() => sweepScores(db, sweepDays));
  ok &&= unchanged.value.matched === sweepSeen && unchanged.value.inserted + unchanged.value.updated === 0;
  await db.sql.query("DELETE FROM forecast_scores WHERE date > $1::date", [formatDay(today - 7)]);
  const refill = await timed(() => sweepScores(db, sweepDays));
  ok &&= refill.value.inserted === opts.stores * 7 && refill.value.updated === 0;
  log(
    `${label}: sweep of ${sweepDays} days: ${fmt(unchanged.value.matched)} days seen, ${fmt(refill.value.inserted)} re-scored`,
  );
  const fleet = await timed(() => fleetAccuracy(db, { days: 28 }));
  const series = await timed(() => seriesAccuracy(db, 1, PRODUCT, { weeks: 8 }));
  const worst = Math.max(...firstMs, ...againMs);
  ok &&= worst <= TARGET_SCORE_DAY_S * 1000;
  const n = fmt(opts.stores);
  const rows: Row[] = [
    [
      `${label}: score a day, ${n} stores (median of ${opts.days})`,
      seconds(median(firstMs)),
      `<= ${TARGET_SCORE_DAY_S} s`,
    ],
    [`${label}: score a day, ${n} stores (worst)`, seconds(Math.max(...firstMs)), `<= ${TARGET_SCORE_DAY_S} s`],
    [`${label}: the same day re-sent (writes nothing)`, seconds(median(againMs)), `<= ${TARGET_SCORE_DAY_S} s`],
    [`${label}: history load, ${n} x ${opts.historyDays} days`, seconds(history.ms), "-"],
    [`${label}: sweep of ${sweepDays} days, all scored (writes nothing)`, seconds(unchanged.ms), "-"],
    [`${label}: sweep of ${sweepDays} days, last 7 unscored`, seconds(refill.ms), "-"],
    [`${label}: GET /api/accuracy?days=28 query`, seconds(fleet.ms), "-"],
    [`${label}: GET /api/accuracy/1/${PRODUCT}?weeks=8 query`, seconds(series.ms), "-"],
    [`${label}: fleet realized RMSPE, last 7 days`, fleet.value.last7.rmspe?.toFixed(4) ?? "-", "(synthetic)"],
  ];
  return { rows, ok };
}

async function onPGlite(opts: CliOptions): Promise<{ rows: Row[]; ok: boolean }> {
  // On disk, like production, in a directory of its own.
  const dir = await mkdtemp(path.join(os.tmpdir(), "storecast-bench-monitoring-"));
  try {
    const db = await openDatabase({ pgliteDir: path.join(dir, "db") });
    try {
      return await benchScoring("PGlite", db, opts);
    } finally {
      await db.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function onPostgres(url: string, opts: CliOptions): Promise<{ rows: Row[]; ok: boolean }> {
  const schema = `storecast_bench_monitoring_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await admin.connect();
  try {
    await admin.query(`CREATE SCHEMA "${schema}"`);
    const db = await openDatabase({ databaseUrl: withSearchPath(url, schema) });
    try {
      return await benchScoring("Postgres", db, opts);
    } finally {
      await db.close();
    }
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await admin.end();
  }
}

/** One simulated world on a fresh in-memory PGlite; the drift check's time is that of its last night. */
async function world(opts: CliOptions, policy: "on" | "suggest") {
  const db = await openDatabase({ pgliteDir: "memory://" });
  const pool = createModelPool({ threads: 2 });
  const started = performance.now();
  let checkMs = 0;
  let nightStarted = 0;
  try {
    const w = await runWorld(db, pool, {
      stores: opts.driftStores,
      seed: 7,
      streamDays: STREAM_DAYS,
      injections: INJECTIONS,
      policy,
      onProgress: (what) => {
        log(`world (AUTO_RETRAIN=${policy}): ${what} (${seconds(performance.now() - started)})`);
        nightStarted = performance.now();
      },
      afterCheck: async () => {
        checkMs = performance.now() - nightStarted;
      },
    });
    return { w, checkMs };
  } finally {
    await pool.close();
    await db.close();
  }
}

async function benchDrift(opts: CliOptions): Promise<{ rows: Row[]; ok: boolean }> {
  const on = await world(opts, "on");
  const off = await world(opts, "suggest");
  const f = detectionFigures(on.w, WITHIN_DAYS);
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`;
  const rows: Row[] = [];
  for (const kind of ["level", "weekday", "promo-stops", "all"]) {
    const k = f.byKind[kind];
    if (!k) continue;
    rows.push([
      `drift: recall within ${WITHIN_DAYS} days, ${kind} (${k.detected} of ${k.stores})`,
      pct(k.recall),
      kind === "all" ? `>= ${pct(TARGET_RECALL)}` : "(shown)",
    ]);
    rows.push([`drift: median detection delay, ${kind}`, k.medianDelay === null ? "-" : `${k.medianDelay} days`, "-"]);
  }
  const unchanged = [...on.w.series.keys()].filter((s) => !on.w.affected.all.includes(s));
  rows.push([
    `drift: false positives over ${STREAM_DAYS} nightly checks (${f.falsePositives} series)`,
    pct(f.falsePositiveRate),
    `<= ${pct(TARGET_FP)}`,
  ]);
  // The last week: every change has shown; the retrains' forecasts (or, without them, the weekly training's) are scored.
  const last = [STREAM_DAYS - 7, STREAM_DAYS - 1] as const;
  const fmtR = (v: number | null) => (v === null ? "-" : v.toFixed(3));
  for (const kind of ["level", "weekday", "promo-stops", "all"] as const) {
    const stores = on.w.affected[kind];
    rows.push([
      `drift: realized RMSPE of ${kind} stores, last week: AUTO_RETRAIN=on / suggest`,
      `${fmtR(pooledRmspe(on.w, stores, ...last))} / ${fmtR(pooledRmspe(off.w, stores, ...last))}`,
      "-",
    ]);
  }
  rows.push([
    "drift: realized RMSPE of unchanged stores, last week: on / suggest",
    `${fmtR(pooledRmspe(on.w, unchanged, ...last))} / ${fmtR(pooledRmspe(off.w, unchanged, ...last))}`,
    "-",
  ]);
  const verdicts = new Map<string, number>();
  for (const r of on.w.autoRetrains) verdicts.set(r.verdict, (verdicts.get(r.verdict) ?? 0) + 1);
  rows.push([
    `drift: automatic retrains (${on.w.autoRetrains.length}), by verdict`,
    [...verdicts].map(([v, n]) => `${v} ${n}`).join(", ") || "-",
    "-",
  ]);
  rows.push([
    `drift: the nightly check and policy, ${fmt(opts.driftStores)} series (last night)`,
    seconds(on.checkMs),
    "-",
  ]);
  const ok = (f.byKind.all?.recall ?? 0) >= TARGET_RECALL && f.falsePositiveRate <= TARGET_FP;
  return { rows, ok };
}

async function main(opts: CliOptions): Promise<number> {
  const postgresUrl = opts.postgres ?? (process.env.DATABASE_URL || undefined);
  const rows: Row[] = [];
  let ok = true;

  // --- Scoring (realized accuracy) -----------------------------------------------------------------
  for (const target of [() => onPGlite(opts), ...(postgresUrl ? [() => onPostgres(postgresUrl, opts)] : [])]) {
    const r = await target();
    rows.push(...r.rows);
    ok &&= r.ok;
  }
  if (!postgresUrl) log("Postgres skipped: set DATABASE_URL or pass --postgres URL");

  // --- Drift detection on injected changes ------------------------------------------------------------
  if (opts.drift) {
    const r = await benchDrift(opts);
    rows.push(...r.rows);
    ok &&= r.ok;
  }

  printTable(rows);
  console.log(`\nbench-monitoring: ${ok ? "every target met" : "a target was missed or a count was wrong (FAIL)"}`);
  return ok ? 0 : 1;
}

const program = new Command()
  .name("bench-monitoring")
  .description("Time scoring forecasts against a day of actuals on PGlite and, if configured, Postgres.")
  .option("--postgres <url>", "Postgres URL (default: DATABASE_URL)")
  .option("--stores <n>", "stores", integerOption(1, 100_000), 1115)
  .option("--history-days <n>", "days already scored before the measured ones", integerOption(0, 3650), 28)
  .option("--days <n>", "days scored and timed, one at a time", integerOption(1, 365), 5)
  .option("--drift-stores <n>", "stores in the simulated world of the drift section", integerOption(20, 100_000), 1115)
  .option("--no-drift", "skip the drift section (two simulated worlds: minutes)")
  .allowExcessArguments(false);

program.parse();
main(program.opts<CliOptions>()).then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
