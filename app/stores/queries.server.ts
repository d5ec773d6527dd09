/**
 * What the web pages read: one or two raw SQL statements per page (Postgres and PGlite alike),
 * each served by an index, with no per-store loops, so page loaders stay well inside the
 * 200 ms p99 budget with 1,115 stores x 150 days.
 *
 * The distinct stores and series come from a "skip scan" of the (store, productname, date) unique
 * index: one index probe per series (about 1,100) instead of reading all ~167k sales rows.
 */
import { formatDay, todayDay } from "../days.js";
import { ValidationError } from "../errors.js";
import { dedupeKeyOf } from "../jobs/dedupe.js";
import type { JobInfo, JobQueue, JobStatus } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";
import { RECENT_SALES_DAYS, type SortDir, type StoreSort, type StoreType } from "./list-params.js";

/** Every (store, productname) with sales, one index probe each. */
const SERIES_CTE = `series AS (
  (SELECT store, productname FROM rossman_sales ORDER BY store, productname LIMIT 1)
  UNION ALL
  SELECT n.store, n.productname FROM series s, LATERAL (
    SELECT r.store, r.productname FROM rossman_sales r
     WHERE (r.store, r.productname) > (s.store, s.productname)
     ORDER BY r.store, r.productname LIMIT 1) n)`;

/** The store page's chart shows this many days of actual sales. */
export const ACTUAL_DAYS = 56;

// -------------------------------------------------------------------------------------------------
// Overview

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

export interface TrainingRunSummary {
  id: number;
  kind: string;
  status: string;
  startedAt: Date | null;
  finishedAt: Date | null;
  durationMs: number | null;
  progressDone: number;
  progressTotal: number;
  trained: number | null;
  failed: number | null;
  skipped: number | null;
}

/** The newest run that trains every series (the weekly schedule's, or an on-demand train-all). */
export async function latestTrainingRun(db: Database): Promise<TrainingRunSummary | null> {
  const [row] = await db.sql.query<{
    id: number;
    kind: string;
    status: string;
    started_at: Date | null;
    finished_at: Date | null;
    progress_done: number;
    progress_total: number;
    counts: Record<string, unknown> | null;
  }>(
    `SELECT id, kind, status, started_at, finished_at, progress_done, progress_total, counts
       FROM pipeline_runs WHERE kind IN ('train-weekly', 'train-all')
      ORDER BY created_at DESC, id DESC LIMIT 1`,
  );
  if (!row) return null;
  const startedAt = row.started_at ? new Date(row.started_at) : null;
  const finishedAt = row.finished_at ? new Date(row.finished_at) : null;
  const count = (k: string) => (typeof row.counts?.[k] === "number" ? (row.counts[k] as number) : null);
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    startedAt,
    finishedAt,
    durationMs: startedAt && finishedAt ? finishedAt.getTime() - startedAt.getTime() : null,
    progressDone: row.progress_done,
    progressTotal: row.progress_total,
    trained: count("trained"),
    failed: count("failed"),
    skipped: count("skipped"),
  };
}

// -------------------------------------------------------------------------------------------------
// Stores list

export interface StoreListQuery {
  /** Store numbers starting with these digits. */
  storePrefix?: string;
  type?: StoreType;
  sort: StoreSort;
  dir: SortDir;
  /** 1-based; past the last page gives the last page. */
  page: number;
  pageSize: number;
}

export interface StoreListRow {
  store: number;
  storeType: string | null;
  assortment: string | null;
  products: string[];
  /** Average daily sales over the RECENT_SALES_DAYS complete days up to yesterday (or the newest day), all products. */
  salesPerDay: number | null;
  /** Mean CV RMSPE of the store's production models. */
  cvRmspe: number | null;
  models: number;
}

export interface StoreListPage {
  total: number;
  page: number;
  pages: number;
  rows: StoreListRow[];
}

/** Whitelisted ORDER BY clauses (never user text in SQL); ties and missing values fall back to store order. */
const ORDER_BY: Record<StoreSort, Record<SortDir, string>> = {
  id: { asc: "store ASC", desc: "store DESC" },
  sales: { asc: "sales_per_day ASC NULLS LAST, store", desc: "sales_per_day DESC NULLS LAST, store" },
  error: { asc: "cv_rmspe ASC NULLS LAST, store", desc: "cv_rmspe DESC NULLS LAST, store" },
};

/** One page of stores with their recent sales and model error: filtering, sorting and paging in SQL. */
export async function listStoresPage(
  db: Database,
  q: StoreListQuery,
  today = formatDay(todayDay()),
): Promise<StoreListPage> {
  if (q.storePrefix !== undefined && !/^\d{1,10}$/.test(q.storePrefix)) {
    throw new ValidationError("q", "a store number is digits only");
  }
  if (!Number.isSafeInteger(q.page) || q.page < 1) throw new ValidationError("page", "page must be 1 or more");
  if (!Number.isSafeInteger(q.pageSize) || q.pageSize < 1 || q.pageSize > 500) {
    throw new ValidationError("pageSize", "pageSize must be 1 to 500");
  }
  const order = ORDER_BY[q.sort]?.[q.dir];
  if (!order) throw new ValidationError("sort", `unknown sort ${String(q.sort)} ${String(q.dir)}`);
  const rows = await db.sql.query<{
    total: number;
    page_offset: number;
    store: number | null;
    store_type: string | null;
    assortment: string | null;
    products: string[] | null;
    sales_per_day: number | null;
    cv_rmspe: number | null;
    models: number | null;
  }>(
    `WITH newest AS (
       -- The newest complete day: today's rows are the live stream's, still arriving.
       SELECT coalesce((SELECT max(date) FROM rossman_sales WHERE date < $6::date),
                       (SELECT max(date) FROM rossman_sales)) AS day),
     -- Days in the window: fewer when the history is shorter. Per-store sums need no DISTINCT then.
     span AS (SELECT least($5::int, newest.day - (SELECT min(date) FROM rossman_sales) + 1) AS days FROM newest),
     recent AS (
       SELECT r.store, sum(r.sales)::float8 / (SELECT days FROM span) AS sales_per_day
         FROM rossman_sales r, newest
        WHERE r.date > newest.day - $5::int AND r.date <= newest.day
        GROUP BY r.store),
     errors AS (
       SELECT m.store, avg(v.cv_rmspe)::float8 AS cv_rmspe, count(*)::int AS models
         FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
        GROUP BY m.store),
     -- Every store with sales has a stores row (the loader and the stream consumer add it); a row
     -- from store.csv without sales is left out, one index probe each.
     matched AS (
       SELECT st.store, st.store_type, st.assortment, rc.sales_per_day, e.cv_rmspe, coalesce(e.models, 0) AS models
         FROM stores st
         LEFT JOIN recent rc ON rc.store = st.store
         LEFT JOIN errors e ON e.store = st.store
        WHERE EXISTS (SELECT 1 FROM rossman_sales x WHERE x.store = st.store)
          AND ($1::text IS NULL OR st.store::text LIKE $1::text || '%')
          AND ($2::text IS NULL OR st.store_type = $2::text)),
     total AS (SELECT count(*)::int AS total FROM matched),
     page AS (SELECT least($4::int, greatest(total - 1, 0) / $3::int * $3::int) AS page_offset FROM total)
     SELECT t.total, p.page_offset, m.*,
            -- Products of the page's stores only.
            ARRAY(SELECT DISTINCT x.productname FROM rossman_sales x WHERE x.store = m.store ORDER BY 1) AS products
       FROM total t CROSS JOIN page p
       LEFT JOIN LATERAL (SELECT * FROM matched ORDER BY ${order} LIMIT $3::int OFFSET p.page_offset) m ON true
      -- Again outside: only the outermost ORDER BY fixes the order of the result.
      ORDER BY ${order}`,
    [q.storePrefix ?? null, q.type ?? null, q.pageSize, (q.page - 1) * q.pageSize, RECENT_SALES_DAYS, today],
  );
  const total = rows[0]?.total ?? 0;
  const offset = rows[0]?.page_offset ?? 0;
  return {
    total,
    page: Math.floor(offset / q.pageSize) + 1,
    pages: Math.max(1, Math.ceil(total / q.pageSize)),
    rows: rows
      .filter((r) => r.store !== null)
      .map((r) => ({
        store: r.store!,
        storeType: r.store_type,
        assortment: r.assortment,
        products: r.products ?? [],
        salesPerDay: r.sales_per_day,
        cvRmspe: r.cv_rmspe,
        models: r.models ?? 0,
      })),
  };
}

// -------------------------------------------------------------------------------------------------
// Store page

export interface StoreInfo {
  store: number;
  storeType: string | null;
  assortment: string | null;
  products: string[];
}

/** The store's attributes and products (null when it has no sales). */
export async function storeInfo(db: Database, store: number): Promise<StoreInfo | null> {
  const [row] = await db.sql.query<{ store_type: string | null; assortment: string | null; products: string[] | null }>(
    `SELECT st.store_type, st.assortment,
            (SELECT array_agg(DISTINCT productname ORDER BY productname) FROM rossman_sales WHERE store = $1) AS products
       FROM (SELECT 1) one LEFT JOIN stores st ON st.store = $1`,
    [store],
  );
  if (!row?.products || row.products.length === 0) return null;
  return { store, storeType: row.store_type, assortment: row.assortment, products: row.products };
}

export interface ActualSale {
  date: string;
  sales: number;
  open: boolean;
}

/** The series' newest `days` days of sales (up to its newest day), in date order. */
export async function recentSales(
  db: Database,
  key: { store: number; productname: string },
  days = ACTUAL_DAYS,
): Promise<ActualSale[]> {
  const rows = await db.sql.query<{ date: string; sales: number; open: number }>(
    `SELECT date::text AS date, sales, open FROM rossman_sales
      WHERE store = $1 AND productname = $2
        AND date > (SELECT max(date) FROM rossman_sales WHERE store = $1 AND productname = $2) - $3::int
      ORDER BY date`,
    [key.store, key.productname, days],
  );
  return rows.map((r) => ({ date: r.date, sales: r.sales, open: r.open === 1 }));
}

export interface ModelCard {
  name: string;
  version: number;
  versions: number;
  trainedAt: Date;
  promotedAt: Date | null;
  trainStart: string;
  trainEnd: string;
  trainRows: number;
  durationMs: number;
  folds: number | null;
  cv: { rmspe: number | null; rmse: number | null; mape: number | null; mae: number | null; mdae: number | null };
}

/** The production version's card, without its (large) fitted parameters; null before the first training. */
export async function modelCard(db: Database, key: { store: number; productname: string }): Promise<ModelCard | null> {
  const [row] = await db.sql.query<{
    name: string;
    version: number;
    versions: number;
    created_at: Date;
    promoted_at: Date | null;
    train_start: string;
    train_end: string;
    train_rows: number;
    duration_ms: number;
    folds: number | null;
    cv_rmspe: number | null;
    cv_rmse: number | null;
    cv_mape: number | null;
    cv_mae: number | null;
    cv_mdae: number | null;
  }>(
    `SELECT m.name, v.version, (SELECT count(*) FROM model_versions a WHERE a.model_id = m.id)::int AS versions,
            v.created_at, v.promoted_at, v.train_start::text AS train_start, v.train_end::text AS train_end,
            v.train_rows, v.duration_ms,
            CASE WHEN jsonb_typeof(v.cv_metrics -> 'folds') = 'array'
                 THEN jsonb_array_length(v.cv_metrics -> 'folds') END AS folds,
            v.cv_rmspe, v.cv_rmse, v.cv_mape, v.cv_mae, v.cv_mdae
       FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
      WHERE m.store = $1 AND m.productname = $2`,
    [key.store, key.productname],
  );
  if (!row) return null;
  return {
    name: row.name,
    version: row.version,
    versions: row.versions,
    trainedAt: new Date(row.created_at),
    promotedAt: row.promoted_at ? new Date(row.promoted_at) : null,
    trainStart: row.train_start,
    trainEnd: row.train_end,
    trainRows: row.train_rows,
    durationMs: row.duration_ms,
    folds: row.folds,
    cv: { rmspe: row.cv_rmspe, rmse: row.cv_rmse, mape: row.cv_mape, mae: row.cv_mae, mdae: row.cv_mdae },
  };
}

// -------------------------------------------------------------------------------------------------
// Retrain jobs of one series

export interface RetrainJob {
  id: string;
  status: JobStatus;
  progress: { done: number; total: number } | null;
  error: string | null;
  /** The version a finished job registered. */
  version: number | null;
}

export const ACTIVE_STATUSES: ReadonlySet<JobStatus> = new Set(["PENDING", "RUNNING"]);

function retrainJobOf(job: JobInfo, key: { store: number; productname: string }): RetrainJob | null {
  const data = job.data as { store?: unknown; productname?: unknown };
  if (job.kind !== "train-one" || data.store !== key.store || data.productname !== key.productname) return null;
  const result = job.result as { modelVersion?: unknown } | null;
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    error: job.error,
    version: typeof result?.modelVersion === "number" ? result.modelVersion : null,
  };
}

/**
 * The series' retrain job to show: the one named in the page's address (after a Retrain, also once
 * finished), else the one queued or running for the series, wherever it was started.
 */
export async function retrainJob(
  jobs: JobQueue,
  key: { store: number; productname: string },
  jobId: string | null,
): Promise<RetrainJob | null> {
  if (jobId && jobId.length <= 200) {
    const job = await jobs.get(jobId);
    const mine = job ? retrainJobOf(job, key) : null;
    if (mine) return mine;
  }
  const active = await jobs.findActive(dedupeKeyOf("train-one", key));
  return active ? retrainJobOf(active, key) : null;
}
