/**
 * A train-all run's series as shared work (table `train_series`): planned once when the run
 * starts, claimed a batch at a time with a lease by whichever worker trains them (any replica, the
 * run's own job or a `train-chunk` helper), and marked with their outcome. A worker that stops hands
 * its unfinished claims back; a crashed one's lease runs out and another worker takes them over. The
 * run's counts are read back from here, so they are exact whoever trained what, and however often
 * the run was interrupted. See docs/decisions/0009-train-all-split-by-series-claims.md.
 */
import { hostname } from "node:os";
import { formatDay } from "../days.js";
import type { Database } from "../platform/db.server.js";

export type SeriesOutcome = "trained" | "skipped" | "failed";

export interface ClaimedSeries {
  store: number;
  productname: string;
}

/** A claim lasts this long unless renewed; a crashed worker's series are free again after it. */
export const CLAIM_LEASE_MS = 30_000;

/** Runs whose series may still be claimed: running, or interrupted and waiting to resume. */
const ACTIVE_RUN = `EXISTS (SELECT 1 FROM pipeline_runs r WHERE r.id = $1 AND r.status IN ('RUNNING', 'PENDING'))`;

/**
 * This worker's name in `train_series` (`host:pid#tag`): the part before `#` names the replica (a
 * container's host name), `tag` one handler run in it.
 */
export function workerName(tag: string): string {
  return `${hostname()}:${process.pid}#${tag}`;
}

/** The replica part of a worker name. */
export const replicaOf = (worker: string): string => worker.split("#")[0] ?? worker;

/**
 * Plans the run: one row per series with sales in (fromDay, toDay]. Idempotent (a resumed run
 * plans again and keeps what it had). Returns how many series the run has.
 */
export async function planSeries(db: Database, runId: number, fromDay: number, toDay: number): Promise<number> {
  await db.sql.query(
    `INSERT INTO train_series (run_id, store, productname)
     SELECT $1::int, store, productname FROM rossman_sales
      WHERE date > $2::date AND date <= $3::date
      GROUP BY store, productname
     ON CONFLICT (run_id, store, productname) DO NOTHING`,
    [runId, formatDay(fromDay), formatDay(toDay)],
  );
  const [row] = await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM train_series WHERE run_id = $1", [
    runId,
  ]);
  return row?.n ?? 0;
}

/**
 * Claims up to `limit` series still to do (unclaimed, or whose lease ran out), in store order, for
 * `worker`; none once the run is finished. Concurrent claimers never get the same series
 * (FOR UPDATE SKIP LOCKED, and the lease is checked again on the locked row).
 */
export async function claimSeries(
  db: Database,
  runId: number,
  worker: string,
  limit: number,
  leaseMs = CLAIM_LEASE_MS,
): Promise<ClaimedSeries[]> {
  const rows = await db.sql.query<ClaimedSeries>(
    `WITH next AS (
       SELECT s.store, s.productname FROM train_series s
        WHERE s.run_id = $1 AND s.outcome IS NULL AND (s.lease_until IS NULL OR s.lease_until < clock_timestamp())
          AND ${ACTIVE_RUN}
        ORDER BY s.store, s.productname
        LIMIT $2
        FOR UPDATE OF s SKIP LOCKED)
     UPDATE train_series t
        SET claimed_by = $3, lease_until = clock_timestamp() + $4::int * interval '1 millisecond'
       FROM next
      WHERE t.run_id = $1 AND t.store = next.store AND t.productname = next.productname
     RETURNING t.store, t.productname`,
    [runId, limit, worker, leaseMs],
  );
  return rows.sort((a, b) => a.store - b.store || a.productname.localeCompare(b.productname));
}

/**
 * Extends `worker`'s leases in the run. Returns the run's status, so a worker notices that the run
 * was cancelled or has ended (null when the run is gone).
 */
export async function renewClaims(
  db: Database,
  runId: number,
  worker: string,
  leaseMs = CLAIM_LEASE_MS,
): Promise<string | null> {
  await db.sql.query(
    `UPDATE train_series SET lease_until = clock_timestamp() + $3::int * interval '1 millisecond'
      WHERE run_id = $1 AND claimed_by = $2 AND outcome IS NULL`,
    [runId, worker, leaseMs],
  );
  const [run] = await db.sql.query<{ status: string }>("SELECT status FROM pipeline_runs WHERE id = $1", [runId]);
  return run?.status ?? null;
}

/** Hands `worker`'s unfinished series back: any worker may claim them at once. */
export async function releaseClaims(db: Database, runId: number, worker: string): Promise<number> {
  const rows = await db.sql.query<{ store: number }>(
    `UPDATE train_series SET claimed_by = NULL, lease_until = NULL
      WHERE run_id = $1 AND claimed_by = $2 AND outcome IS NULL
     RETURNING store`,
    [runId, worker],
  );
  return rows.length;
}

/** Records a series' outcome (once: a series another worker already finished is left as it is). */
export async function recordOutcome(
  db: Database,
  runId: number,
  key: ClaimedSeries,
  outcome: SeriesOutcome,
  detail: { worker: string; reason?: string; excludedDays?: number; forecastRows?: number },
): Promise<boolean> {
  const rows = await db.sql.query<{ store: number }>(
    `UPDATE train_series
        SET outcome = $4, reason = $5, excluded_days = $6, forecast_rows = $7, finished_by = $8,
            finished_at = clock_timestamp(), claimed_by = NULL, lease_until = NULL
      WHERE run_id = $1 AND store = $2 AND productname = $3 AND outcome IS NULL
     RETURNING store`,
    [
      runId,
      key.store,
      key.productname,
      outcome,
      detail.reason ?? null,
      detail.excludedDays ?? 0,
      detail.forecastRows ?? 0,
      detail.worker,
    ],
  );
  return rows.length > 0;
}

/** Series finished by anyone but `worker`, and series left (to do or claimed). */
export async function runProgress(
  db: Database,
  runId: number,
  worker: string,
): Promise<{ total: number; doneByOthers: number; remaining: number; claimable: number }> {
  const [row] = await db.sql.query<{ total: number; others: number; remaining: number; claimable: number }>(
    `SELECT count(*)::int AS total,
            count(*) FILTER (WHERE outcome IS NOT NULL AND finished_by IS DISTINCT FROM $2)::int AS others,
            count(*) FILTER (WHERE outcome IS NULL)::int AS remaining,
            count(*) FILTER (WHERE outcome IS NULL AND (lease_until IS NULL OR lease_until < clock_timestamp()))::int
              AS claimable
       FROM train_series WHERE run_id = $1`,
    [runId, worker],
  );
  return {
    total: row?.total ?? 0,
    doneByOthers: row?.others ?? 0,
    remaining: row?.remaining ?? 0,
    claimable: row?.claimable ?? 0,
  };
}

export interface RunSummary {
  series: number;
  trained: number;
  skipped: number;
  failed: number;
  excludedDays: number;
  forecastRows: number;
  /** Skipped and failed series with their reasons (at most `maxListed`). */
  failures: { store: number; productname: string; reason: string }[];
  /** Series trained per replica (host:pid). */
  workers: Record<string, number>;
}

/** The run's counts, from the outcomes of its series. */
export async function summarizeRun(db: Database, runId: number, maxListed: number): Promise<RunSummary> {
  const [counts] = await db.sql.query<{
    series: number;
    trained: number;
    skipped: number;
    failed: number;
    excluded: number;
    rows: number;
  }>(
    `SELECT count(*)::int AS series,
            count(*) FILTER (WHERE outcome = 'trained')::int AS trained,
            count(*) FILTER (WHERE outcome = 'skipped')::int AS skipped,
            count(*) FILTER (WHERE outcome = 'failed')::int AS failed,
            coalesce(sum(excluded_days), 0)::int AS excluded,
            coalesce(sum(forecast_rows), 0)::int AS rows
       FROM train_series WHERE run_id = $1`,
    [runId],
  );
  const failures = await db.sql.query<{ store: number; productname: string; reason: string }>(
    `SELECT store, productname, coalesce(reason, outcome) AS reason FROM train_series
      WHERE run_id = $1 AND outcome IN ('skipped', 'failed')
      ORDER BY store, productname LIMIT $2`,
    [runId, maxListed],
  );
  const byWorker = await db.sql.query<{ worker: string; n: number }>(
    `SELECT finished_by AS worker, count(*)::int AS n FROM train_series
      WHERE run_id = $1 AND outcome = 'trained' GROUP BY finished_by`,
    [runId],
  );
  const workers: Record<string, number> = {};
  for (const { worker, n } of byWorker) {
    const replica = replicaOf(worker ?? "unknown");
    workers[replica] = (workers[replica] ?? 0) + n;
  }
  return {
    series: counts?.series ?? 0,
    trained: counts?.trained ?? 0,
    skipped: counts?.skipped ?? 0,
    failed: counts?.failed ?? 0,
    excludedDays: counts?.excluded ?? 0,
    forecastRows: counts?.rows ?? 0,
    failures,
    workers,
  };
}

export interface TrainedInRun {
  version: number;
  versionId: number;
  name: string;
  /** Forecast rows this run wrote for the version. */
  forecastRows: number;
}

/**
 * Series of stores [first, last] that already have a version from this run (a worker stopped or
 * crashed after registering them): they are not trained again.
 */
export async function trainedInRun(
  db: Database,
  runId: number,
  stores: [number, number],
): Promise<Map<string, TrainedInRun>> {
  const rows = await db.sql.query<{
    store: number;
    productname: string;
    version: number;
    id: number;
    name: string;
    rows: number;
  }>(
    `SELECT m.store, m.productname, v.version, v.id, m.name,
            (SELECT count(*)::int FROM forecast_results f
              WHERE f.store = m.store AND f.productname = m.productname AND f.model_version = v.version
                AND f.pipeline_run_id = $1) AS rows
       FROM model_versions v JOIN registered_models m ON m.id = v.model_id
      WHERE v.pipeline_run_id = $1 AND m.store BETWEEN $2 AND $3`,
    [runId, stores[0], stores[1]],
  );
  return new Map(
    rows.map((r) => [
      `${r.store}\u0000${r.productname}`,
      { version: r.version, versionId: r.id, name: r.name, forecastRows: r.rows },
    ]),
  );
}
