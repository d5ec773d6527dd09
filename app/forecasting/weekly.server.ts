/**
 * The weekly forecast: the 7 days after the newest sales day that every training run writes into
 * `forecast_results` (model name and version on each row), and what users see all week.
 */

import type { ForecastPoint, PlanDay } from "../model/config.js";
import type { Database } from "../platform/db.server.js";
import type { VersionSummary } from "../registry/versions.server.js";
import type { SeriesKey } from "../series.js";
import { dateRange, loadCalendars } from "./series-data.server.js";

/** The weekly forecast covers this many days after the newest sales day. */
export const BATCH_HORIZON_DAYS = 7;

/** The weekly forecast's days after `newest`, and each store's plan for them (one store's, or all). */
export async function weekAfter(
  db: Database,
  newest: number,
  store?: number,
): Promise<{ dates: string[]; calendars: Map<number, Map<string, PlanDay>> }> {
  const first = newest + 1;
  const calendars = await loadCalendars(db, first, first + BATCH_HORIZON_DAYS - 1, store);
  return { dates: dateRange(first, BATCH_HORIZON_DAYS), calendars };
}

/** One series' forecast, as writeForecasts takes it. */
export interface SeriesForecast {
  key: SeriesKey;
  version: Pick<VersionSummary, "name" | "version">;
  points: ForecastPoint[];
}

/** Writes a series' forecast rows; re-writing the same model version replaces them. */
export async function writeForecast(
  db: Database,
  key: SeriesKey,
  version: Pick<VersionSummary, "name" | "version">,
  points: ForecastPoint[],
  pipelineRunId: number | null,
): Promise<void> {
  await writeForecasts(db, [{ key, version, points }], pipelineRunId);
}

/** Writes many series' forecast rows in one statement (the batch forecast writes a chunk at a time). */
export async function writeForecasts(
  db: Database,
  forecasts: readonly SeriesForecast[],
  pipelineRunId: number | null,
): Promise<void> {
  const rows = forecasts.flatMap((f) => f.points.map((p) => ({ f, p })));
  if (rows.length === 0) return;
  await db.sql.query(
    `INSERT INTO forecast_results
       (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, pipeline_run_id)
     SELECT s, pn, d, v, l, u, mn, mv, $1::int
       FROM unnest($2::int[], $3::text[], $4::date[], $5::float8[], $6::float8[], $7::float8[], $8::text[], $9::int[])
            AS t(s, pn, d, v, l, u, mn, mv)
     ON CONFLICT (store, productname, forecast_date, model_version) DO UPDATE SET
       forecast_sale = EXCLUDED.forecast_sale, lower_ci = EXCLUDED.lower_ci, upper_ci = EXCLUDED.upper_ci,
       created_on = now(), pipeline_run_id = EXCLUDED.pipeline_run_id`,
    [
      pipelineRunId,
      rows.map((r) => r.f.key.store),
      rows.map((r) => r.f.key.productname),
      rows.map((r) => r.p.date),
      rows.map((r) => r.p.value),
      rows.map((r) => r.p.lower),
      rows.map((r) => r.p.upper),
      rows.map((r) => r.f.version.name),
      rows.map((r) => r.f.version.version),
    ],
  );
}

export interface WeeklyForecast {
  modelName: string;
  modelVersion: number;
  createdOn: Date;
  points: ForecastPoint[];
}

/** The newest weekly forecast of a series (the rows the latest run or retrain wrote). */
export async function latestForecast(db: Database, key: SeriesKey): Promise<WeeklyForecast | null> {
  const rows = await db.sql.query<{
    forecast_date: string;
    forecast_sale: number;
    lower_ci: number;
    upper_ci: number;
    model_name: string;
    model_version: number;
    created_on: Date;
  }>(
    `WITH latest AS (
       SELECT model_version FROM forecast_results
        WHERE store = $1 AND productname = $2 ORDER BY created_on DESC, model_version DESC LIMIT 1)
     SELECT forecast_date::text AS forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, created_on
       FROM forecast_results
      WHERE store = $1 AND productname = $2 AND model_version = (SELECT model_version FROM latest)
      ORDER BY forecast_date`,
    [key.store, key.productname],
  );
  const first = rows[0];
  if (!first) return null;
  return {
    modelName: first.model_name,
    modelVersion: first.model_version,
    createdOn: new Date(first.created_on),
    points: rows.map((r) => ({ date: r.forecast_date, value: r.forecast_sale, lower: r.lower_ci, upper: r.upper_ci })),
  };
}

/**
 * Deletes at most `limit` forecast rows whose model version is no longer in the registry: a version
 * the retention job deleted takes its forecasts with it (a row is written only after its version is
 * registered, so none is caught in between). Returns how many.
 */
export async function deleteForecastsWithoutVersion(db: Pick<Database, "sql">, limit: number): Promise<number> {
  const rows = await db.sql.query<{ id: number }>(
    `DELETE FROM forecast_results WHERE id IN (
       SELECT f.id FROM forecast_results f
        WHERE NOT EXISTS (SELECT 1 FROM registered_models m JOIN model_versions v ON v.model_id = m.id
                           WHERE m.store = f.store AND m.productname = f.productname AND v.version = f.model_version)
        ORDER BY f.id LIMIT $1)
     RETURNING id`,
    [limit],
  );
  return rows.length;
}
