/**
 * `npm run train`: trains every series now (what the weekly schedule runs), or one series with
 * --store and --product, on DATABASE_URL or the PGlite database in PGLITE_DIR.
 *
 *   npm run train [-- --kind default|seed] [--store N --product product_A]
 *
 * Exit code 0 when the run succeeded (series that could not be trained are listed, not fatal),
 * 1 on an error, printed as one line.
 */
import { Command, InvalidArgumentError, Option } from "commander";
import { NotFoundError, ValidationError } from "../app/errors.js";
import type { ModelKind } from "../app/model/config.js";
import { createModelPool } from "../app/model/pool.server.js";
import { ConfigError, loadConfig } from "../app/platform/config.server.js";
import { DatabaseUnreachableError, openDatabase } from "../app/platform/db.server.js";
import { MigrationError } from "../app/platform/migrate.server.js";
import { DEFAULT_PRODUCT } from "../app/rossmann.js";
import { trainAll } from "../app/training/train-all.server.js";
import { trainOne } from "../app/training/train-one.server.js";

const program = new Command()
  .name("train")
  .addOption(new Option("--kind <kind>", "model configuration").choices(["default", "seed"]).default("default"))
  .option("--store <n>", "train one store's series", (v) => {
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new InvalidArgumentError("expected a positive integer.");
    return Number(v);
  })
  .option("--product <name>", "product of --store", DEFAULT_PRODUCT)
  .parse();
const opts = program.opts<{ kind: ModelKind; store?: number; product: string }>();

async function main(): Promise<void> {
  const config = loadConfig();
  const db = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
  const pool = createModelPool({ threads: config.MODEL_THREADS || undefined });
  try {
    if (opts.store !== undefined) {
      const r = await trainOne(db, pool, { store: opts.store, productname: opts.product }, { kind: opts.kind });
      const m = r.version.cv?.mean;
      console.log(
        `train: ${r.version.name} version ${r.version.version} is in production ` +
          `(${r.train.trainRows} open days ${r.train.trainStart}..${r.train.trainEnd}, ` +
          `CV RMSPE ${m ? m.rmspe.toFixed(4) : "n/a"}, ${Math.round(r.train.durationMs)} ms)`,
      );
      return;
    }
    let last = 0;
    const r = await trainAll(db, pool, {
      kind: opts.kind,
      onProgress: (done, total) => {
        if (Date.now() - last < 2000 && done !== total) return;
        last = Date.now();
        process.stderr.write(`train: ${done}/${total} series (${Math.round((100 * done) / total)}%)\n`);
      },
    });
    for (const f of r.failures) console.log(`  store ${f.store} ${f.productname}: ${f.reason}`);
    console.log(
      `train: run ${r.runId} ${r.status}: ${r.trained} trained, ${r.skipped} skipped, ${r.failed} failed ` +
        `of ${r.series} series in ${(r.durationMs / 1000).toFixed(1)} s; forecasts ${r.forecastFrom}..${r.forecastTo}`,
    );
  } finally {
    await pool.close();
    await db.close();
  }
}

try {
  await main();
} catch (err) {
  const known = [ConfigError, DatabaseUnreachableError, MigrationError, NotFoundError, ValidationError].some(
    (E) => err instanceof E,
  );
  console.error(`train: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
  process.exitCode = 1;
}
