/**
 * Which model versions the retention policy deletes (app/retention runs it): never a production
 * version, never one of the model's `keepArchived` newest other versions, never the model's newest
 * version (so a version number is never given twice), never one younger than `keepDays`, never one
 * trained by a run still going (PENDING or RUNNING). The production check is on the row being deleted,
 * so a version promoted while the statement runs is kept. Rows are locked with SKIP LOCKED before the
 * delete: a promotion locks the old production row and then its target, so a delete that waited on
 * either while holding the other deadlocked (seen in CI). A row a promotion holds is left for the
 * next run.
 */
import type { Database } from "../platform/db.server.js";

export interface VersionRetention {
  /** Archived versions kept per model beyond the production one, however old. */
  keepArchived: number;
  /** Versions younger than this many days are kept. */
  keepDays: number;
}

/** Deletes at most `limit` versions the rule does not keep; returns how many it deleted. */
export async function deleteExpiredVersions(
  db: Pick<Database, "sql">,
  rule: VersionRetention,
  limit: number,
): Promise<number> {
  const rows = await db.sql.query<{ id: number }>(
    `WITH ranked AS (
       SELECT v.id, v.stage, v.version, v.created_at, v.pipeline_run_id,
              row_number() OVER (PARTITION BY v.model_id, v.stage = 'production' ORDER BY v.version DESC) AS rank,
              max(v.version) OVER (PARTITION BY v.model_id) AS newest
         FROM model_versions v
     ), doomed AS (
       SELECT r.id FROM ranked r
        WHERE r.stage <> 'production'
          AND r.rank > $1
          AND r.version < r.newest
          AND r.created_at < now() - $2::int * interval '1 day'
          AND NOT EXISTS (SELECT 1 FROM pipeline_runs p
                           WHERE p.id = r.pipeline_run_id AND p.status IN ('PENDING', 'RUNNING'))
        ORDER BY r.id
        LIMIT $3
     ), locked AS (
       SELECT v.id FROM model_versions v JOIN doomed d ON d.id = v.id
        WHERE v.stage <> 'production'
        ORDER BY v.id
          FOR UPDATE OF v SKIP LOCKED
     )
     DELETE FROM model_versions v USING locked l
      WHERE v.id = l.id AND v.stage <> 'production'
     RETURNING v.id`,
    [rule.keepArchived, rule.keepDays, limit],
  );
  return rows.length;
}
