/**
 * Benchmarks forecasting from stored models and prints one table:
 * - per 8-day series on this thread: augurs (Prophet re-created in WASM, then its predict) against
 *   the TypeScript predictor (app/model/predictor.ts), and compiling a predictor from stored JSON;
 * - the same 1, 2, 100 and 500 years after the data (target at 2 years: <= 10 ms), against every
 *   trend change drawn one by one as augurs does;
 * - 11,150 series (1,115 stores x 10 products) through the model pool's predictMany: wall time;
 * - the batch forecast job over as many production versions, database included (listing, reading
 *   and compiling every version, planning, predicting, writing 7 days each): cold and warm cache.
 *
 *   npm run bench:predict [-- --stores 1115] [--products 10] [--threads 2] [--postgres URL] [--skip-db]
 *
 * Models are trained on generated stores first; the batch reuses them round robin. Postgres
 * (DATABASE_URL or --postgres) gets a scratch database, dropped afterwards; without one, PGlite.
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { formatDay, isoWeekday, parseDay } from "../app/days.js";
import { DEFAULT_CONFIG, type HistoryDay, type PlanDay, type StoredModel } from "../app/model/config.js";
import { createModelPool } from "../app/model/pool.server.js";
import { compilePredictor, forecastWithPredictor, type Predictor } from "../app/model/predictor.js";
import { initProphet, predict, trainModel } from "../app/model/prophet.server.js";
import { type Database, openDatabase } from "../app/platform/db.server.js";
import { generateSalesDays } from "../app/sales/generator/sales-model.js";
import { createScratchDatabase } from "../tests/support/databases.js";
import { type BatchFigures, seedRegistry, timeBatchForecast } from "./bench-predict-batch.js";
import { median, printTable } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const END = "2026-11-30";
const log = (s: string) => process.stderr.write(`bench-predict: ${s}\n`);

function trainModels(n: number): StoredModel[] {
  const byStore = new Map<number, HistoryDay[]>();
  for (const day of generateSalesDays({ stores: n, products: 1, days: 130, endDate: END, seed: 5 })) {
    for (const r of day.rows) {
      const { date, sales, open, promo, stateholiday, schoolholiday } = r;
      byStore.set(r.store, [
        ...(byStore.get(r.store) ?? []),
        { date, sales, open, promo, stateholiday, schoolholiday },
      ]);
    }
  }
  // Through JSON, as the registry stores them.
  return [...byStore.values()].map(
    (h) => JSON.parse(JSON.stringify(trainModel(h, { ...DEFAULT_CONFIG, cvFolds: 0 }).model)) as StoredModel,
  );
}

/** 8 days from `after` days after the history: Sundays closed where the store usually is, promo on weekdays. */
function week(model: StoredModel, after = 1): PlanDay[] {
  const start = parseDay(END)! + after;
  return Array.from({ length: 8 }, (_, i) => {
    const dow = isoWeekday(start + i);
    return {
      date: formatDay(start + i),
      open: model.weekdayOpen[dow - 1]! >= 0.5 ? 1 : 0,
      promo: dow <= 5 ? 1 : 0,
      stateholiday: "0",
      schoolholiday: 0,
    };
  });
}

/** Median ms per call over `rounds` rounds of `fn` over every model. */
function msPerSeries(models: readonly StoredModel[], rounds: number, fn: (i: number) => unknown): number {
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    for (let i = 0; i < models.length; i++) fn(i);
    perRound.push((performance.now() - t) / models.length);
  }
  return median(perRound);
}

/**
 * A week far past the history, one thread: the trend changes before it drawn at once (the default)
 * against every change drawn one by one (augurs' way, the predictor's before issue 17). Rows of the table.
 */
function farAhead(models: readonly StoredModel[], predictors: readonly Predictor[]): [string, string, string][] {
  const every = { exactChanges: Number.POSITIVE_INFINITY };
  const rows: [string, string, string][] = [];
  for (const [label, after, target] of [
    ["1 year", 365, ""],
    ["2 years", 730, "<= 10 ms"],
    ["100 years", 36_524, ""],
    ["500 years", 182_621, ""],
  ] as const) {
    const plans = models.map((m) => week(m, after));
    const summed = msPerSeries(models, 5, (i) => forecastWithPredictor(predictors[i]!, plans[i]!));
    // Every change drawn takes seconds a series 500 years on: a few models only.
    const few = after > 1000 ? models.slice(0, 3) : models;
    const drawn = msPerSeries(few, after > 1000 ? 1 : 3, (i) =>
      forecastWithPredictor(predictors[i]!, plans[i]!, undefined, every),
    );
    log(`${label} ahead: ${summed.toFixed(3)} ms, every change drawn ${drawn.toFixed(1)} ms`);
    rows.push([
      `8-day series ${label} after the data, predictor: summed / every change drawn`,
      `${summed.toFixed(3)} / ${drawn.toFixed(1)} ms`,
      target,
    ]);
  }
  return rows;
}

async function main() {
  const opts = new Command()
    .option("--stores <n>", "stores in the batch", integerOption(1, 100_000), 1115)
    .option("--products <n>", "products per store in the batch", integerOption(1, 100), 10)
    .option("--threads <n>", "model threads for the batch", integerOption(1, 64), 2)
    .option("--models <n>", "distinct trained models", integerOption(1, 1115), 40)
    .option("--postgres <url>", "Postgres URL (default: DATABASE_URL; none: PGlite)")
    .option("--skip-db", "skip the batch forecast job over a database", false)
    .parse()
    .opts<{ stores: number; products: number; threads: number; models: number; postgres?: string; skipDb: boolean }>();
  const series = opts.stores * opts.products;

  initProphet();
  log(`training ${opts.models} models; cores: ${os.availableParallelism()}`);
  const models = trainModels(opts.models);
  const plans = models.map(week);
  const json = models.map((m) => JSON.stringify(m));
  const predictors = models.map(compilePredictor);

  // Warm both paths up before timing (JIT, WASM).
  for (let i = 0; i < models.length; i++) predict(models[i]!, plans[i]!);
  for (let r = 0; r < 20; r++) for (let i = 0; i < models.length; i++) forecastWithPredictor(predictors[i]!, plans[i]!);

  const augurs = msPerSeries(models, 5, (i) => predict(models[i]!, plans[i]!));
  const ours = msPerSeries(models, 50, (i) => forecastWithPredictor(predictors[i]!, plans[i]!));
  const compile = msPerSeries(models, 20, (i) => compilePredictor(JSON.parse(json[i]!) as StoredModel));
  const ahead = farAhead(models, predictors);

  const pool = createModelPool({ threads: opts.threads });
  const items = Array.from({ length: series }, (_, i) => ({
    predictor: predictors[i % predictors.length]!,
    days: plans[i % plans.length]!,
  }));
  const walls: number[] = [];
  let batch: (BatchFigures & { db: string }) | undefined;
  try {
    await pool.predictMany(items.slice(0, 500)); // threads started and warm
    for (let r = 0; r < 3; r++) {
      const t = performance.now();
      const answers = await pool.predictMany(items);
      walls.push(performance.now() - t);
      if (answers.length !== items.length) throw new Error("predictMany lost answers");
    }
    if (!opts.skipDb) batch = await onDatabase(opts.postgres ?? process.env.DATABASE_URL, (db) => batchOn(db));
  } finally {
    await pool.close();
  }
  const wall = median(walls);

  async function batchOn(db: Database) {
    log(`registering ${series} production versions on ${db.kind}`);
    await seedRegistry(db, models, opts.stores, opts.products, END);
    log("batch forecast, twice");
    return { ...(await timeBatchForecast(db, pool)), db: db.kind };
  }

  printTable([
    ["8-day series, augurs (re-create + predict), one thread", `${augurs.toFixed(3)} ms`, ""],
    ["8-day series, predictor, one thread", `${ours.toFixed(3)} ms`, "<= 0.3 ms"],
    ["speed-up", `${(augurs / ours).toFixed(1)}x`, "~8x"],
    ["compile a predictor from stored JSON (parse included)", `${compile.toFixed(3)} ms`, ""],
    ...ahead,
    [`${series} series through predictMany, ${opts.threads} threads: wall`, `${(wall / 1000).toFixed(2)} s`, ""],
    ["  per series", `${((wall * 1000) / series).toFixed(0)} us`, ""],
    ...(batch
      ? ([
          [
            `batch forecast job, ${batch.forecast} series on ${batch.db} (${batch.forecast * 7} rows written): predictors not cached / cached`,
            `${(batch.coldMs / 1000).toFixed(2)} / ${(batch.warmMs / 1000).toFixed(2)} s`,
            "",
          ],
        ] as const)
      : []),
  ]);
}

/** Runs `fn` on a scratch Postgres database or a fresh PGlite, removed afterwards. */
async function onDatabase<T>(postgresUrl: string | undefined, fn: (db: Database) => Promise<T>): Promise<T> {
  const tmp = await mkdtemp(path.join(os.tmpdir(), "storecast-bench-predict-"));
  const scratch = postgresUrl ? await createScratchDatabase(postgresUrl, "storecast_bench_predict") : null;
  const db = await openDatabase(scratch ? { databaseUrl: scratch.url } : { pgliteDir: path.join(tmp, "pglite") });
  try {
    return await fn(db);
  } finally {
    await db.close();
    await scratch?.drop();
    await rm(tmp, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
