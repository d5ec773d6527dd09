/**
 * The overview page's figures: stores, series, models and their error, the history's span, and what
 * the live stream has written (read from the database, so every replica agrees).
 *
 * The distinct stores and series come from a "skip scan" of the (store, productname, date) unique
 * index: one index probe per series (about 1,100) instead of reading all ~167k sales rows.
 */
import type { Database } from "../platform/db.server.js";

/** Every (store, productname) with sales, one index probe each. */
const SERIES_CTE = `series AS (
  (SELECT store, productname FROM rossman_sales ORDER BY store, productname LIMIT 1)
  UNION ALL
  SELECT n.store, n.productname FROM series s, LATERAL (
    SELECT r.store, r.productname FROM rossman_sales r
     WHERE (r.store, r.productname) > (s.store, s.productname)
     ORDER BY r.store, r.productname LIMIT 1) n)`;

export interface OverviewStats {
  stores: number;
  series: number;
  models: number;
  /** Median cross-validation RMSPE of the production models (null before any training). */
  medianRmspe: number | null;
  /** Share of production models with an RMSPE at or under 0.2 (a usable weekly forecast). */
  goodModelsShare: number | null;
  firstDate: string | null;
  lastDate: string | null;
}

export async function overviewStats(db: Database): Promise<OverviewStats> {
  const [row] = await db.sql.query<{
    stores: number;
    series: number;
    models: number;
    median_rmspe: number | null;
    good_share: number | null;
    first_date: string | null;
    last_date: string | null;
  }>(
    `WITH RECURSIVE ${SERIES_CTE},
     prod AS (SELECT cv_rmspe FROM model_versions WHERE stage = 'production')
     SELECT (SELECT count(DISTINCT store) FROM series)::int AS stores,
            (SELECT count(*) FROM series)::int AS series,
            (SELECT count(*) FROM prod)::int AS models,
            (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cv_rmspe) FROM prod WHERE cv_rmspe IS NOT NULL)::float8
              AS median_rmspe,
            (SELECT avg(CASE WHEN cv_rmspe <= 0.2 THEN 1 ELSE 0 END) FROM prod WHERE cv_rmspe IS NOT NULL)::float8
              AS good_share,
            (SELECT min(date) FROM rossman_sales)::text AS first_date,
            (SELECT max(date) FROM rossman_sales)::text AS last_date`,
  );
  return {
    stores: row?.stores ?? 0,
    series: row?.series ?? 0,
    models: row?.models ?? 0,
    medianRmspe: row?.median_rmspe ?? null,
    goodModelsShare: row?.good_share ?? null,
    firstDate: row?.first_date ?? null,
    lastDate: row?.last_date ?? null,
  };
}

export interface StreamActivity {
  /** Rows for today: the history ends yesterday, so these came from the live stream. */
  todayRows: number;
  lastMinute: number;
  lastRecordAt: Date | null;
  rejects: number;
}

/** What the live stream has written, read from the database so every replica agrees. */
export async function streamActivity(db: Database, today: string): Promise<StreamActivity> {
  const [row] = await db.sql.query<{ today_rows: number; last_minute: number; last_at: Date | null; rejects: number }>(
    `SELECT count(*)::int AS today_rows,
            count(*) FILTER (WHERE updated_at > now() - interval '1 minute')::int AS last_minute,
            max(updated_at) AS last_at,
            (SELECT count(*)::int FROM stream_rejects) AS rejects
       FROM rossman_sales WHERE date = $1::date`,
    [today],
  );
  return {
    todayRows: row?.today_rows ?? 0,
    lastMinute: row?.last_minute ?? 0,
    lastRecordAt: row?.last_at ? new Date(row.last_at) : null,
    rejects: row?.rejects ?? 0,
  };
}
