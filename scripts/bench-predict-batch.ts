/**
 * bench-predict's database part: a registry of `stores x products` production versions (copies of a
 * few trained models, written by SQL: training 11,150 series would take the bench minutes), then
 * the batch forecast job over all of them, with the predictor cache cold and then warm.
 */
import { isoWeekday, parseDay } from "../app/days.js";
import { batchForecast } from "../app/forecasting/batch.server.js";
import type { StoredModel } from "../app/model/config.js";
import type { ModelPool } from "../app/model/pool.server.js";
import type { Database } from "../app/platform/db.server.js";
import { MODEL_NAME_PREFIX } from "../app/registry/versions.server.js";

/** Registers a production version for every (store, product), params taken round robin from `models`. */
export async function seedRegistry(
  db: Database,
  models: readonly StoredModel[],
  stores: number,
  products: number,
  newestDay: string,
): Promise<number> {
  const names = Array.from(
    { length: products },
    (_, i) => `product_${String.fromCharCode(65 + (i % 26))}${i >= 26 ? i : ""}`,
  );
  await db.sql.query(
    `INSERT INTO registered_models (name, store, productname)
     SELECT $1 || s || '-' || p, s, p FROM generate_series(1, $2::int) AS s, unnest($3::text[]) AS p`,
    [MODEL_NAME_PREFIX, stores, names],
  );
  await db.sql.exec("CREATE TEMP TABLE bench_params (i int PRIMARY KEY, params jsonb NOT NULL)");
  for (const [i, m] of models.entries()) {
    await db.sql.query("INSERT INTO bench_params (i, params) VALUES ($1, $2::jsonb)", [i, JSON.stringify(m)]);
  }
  const [{ n } = { n: 0 }] = await db.sql.query<{ n: number }>(
    `WITH v AS (
       INSERT INTO model_versions (model_id, version, stage, config, params, train_start, train_end, train_rows,
                                   duration_ms, promoted_at)
       SELECT m.id, 1, 'production', b.params->'config', b.params, $1::date - 119, $1::date,
              jsonb_array_length(b.params->'training'->'dates'), 50, now()
         FROM registered_models m JOIN bench_params b ON b.i = m.id % $2::int
       RETURNING 1)
     SELECT count(*)::int AS n FROM v`,
    [newestDay, models.length],
  );
  await db.sql.exec("DROP TABLE bench_params");
  // The batch forecasts the week after the newest sales day.
  await db.sql.query(
    `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
     VALUES (1, $1, $2::date, $3, 5000, 500, 1, 0, '0', 0)`,
    [names[0], newestDay, isoWeekday(parseDay(newestDay)!)],
  );
  return n;
}

export interface BatchFigures {
  series: number;
  forecast: number;
  coldMs: number;
  warmMs: number;
}

/** The batch forecast over every production version: the first run compiles every predictor, the second finds them cached. */
export async function timeBatchForecast(db: Database, pool: ModelPool): Promise<BatchFigures> {
  let t = performance.now();
  const cold = await batchForecast(db, pool);
  const coldMs = performance.now() - t;
  if (cold.failed > 0) throw new Error(`batch forecast failed ${cold.failed} series: ${cold.failures[0]?.reason}`);
  t = performance.now();
  await batchForecast(db, pool);
  const warmMs = performance.now() - t;
  return { series: cold.series, forecast: cold.forecast, coldMs, warmMs };
}
