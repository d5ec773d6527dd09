/**
 * The JobStore port on the database (table job_records): the in-process queue's jobs, kept beyond
 * its memory and its process. Same SQL on Postgres and PGlite.
 */
import type { Database } from "../platform/db.server.js";
import { hasNul } from "../rossmann.js";
import type { JobInfo, JobKind, JobStore } from "./port.js";

interface JobRow {
  id: string;
  kind: string;
  data: unknown;
  status: string;
  progress: JobInfo["progress"];
  result: unknown;
  error: string | null;
  attempts: number;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
}

const COLUMNS = "id, kind, data, status, progress, result, error, attempts, created_at, started_at, finished_at";

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

function toInfo(r: JobRow): JobInfo {
  return {
    id: r.id,
    kind: r.kind as JobKind,
    data: r.data as JobInfo["data"],
    status: r.status as JobInfo["status"],
    progress: r.progress,
    result: r.result ?? null,
    error: r.error,
    attempts: r.attempts,
    createdAt: new Date(r.created_at),
    startedAt: date(r.started_at),
    finishedAt: date(r.finished_at),
  };
}

/** The records of the queue named `queue` (JOB_QUEUE). */
export function databaseJobStore(db: Pick<Database, "sql">, queue: string): JobStore {
  return {
    async save(job) {
      await db.sql.query(
        `INSERT INTO job_records (queue, ${COLUMNS})
         VALUES ($12, $1, $2, $3::jsonb, $4, $5::jsonb, $6::jsonb, $7, $8, $9, $10, $11)
         ON CONFLICT (id) DO UPDATE SET
           status = EXCLUDED.status, progress = EXCLUDED.progress, result = EXCLUDED.result,
           error = EXCLUDED.error, attempts = EXCLUDED.attempts, started_at = EXCLUDED.started_at,
           finished_at = EXCLUDED.finished_at`,
        [
          job.id,
          job.kind,
          JSON.stringify(job.data ?? {}),
          job.status,
          job.progress === null ? null : JSON.stringify(job.progress),
          job.result === null || job.result === undefined ? null : JSON.stringify(job.result),
          job.error,
          job.attempts,
          job.createdAt,
          job.startedAt,
          job.finishedAt,
          queue,
        ],
        { prepare: "job-record-save" },
      );
    },

    async load(id) {
      // No record can have it (Postgres text holds no NUL), and Postgres refuses it as a parameter.
      if (hasNul(id)) return null;
      const [row] = await db.sql.query<JobRow>(`SELECT ${COLUMNS} FROM job_records WHERE id = $1 AND queue = $2`, [
        id,
        queue,
      ]);
      return row ? toInfo(row) : null;
    },

    async list({ kind, limit }) {
      const rows = await db.sql.query<JobRow>(
        `SELECT ${COLUMNS} FROM job_records WHERE queue = $3 AND ($1::text IS NULL OR kind = $1::text)
          ORDER BY created_at DESC, id DESC LIMIT $2`,
        [kind ?? null, limit, queue],
      );
      return rows.map(toInfo);
    },

    async stopUnfinished(reason) {
      const rows = await db.sql.query(
        `UPDATE job_records SET status = 'STOPPED', error = $1, finished_at = now()
          WHERE queue = $2 AND status IN ('PENDING', 'RUNNING') RETURNING id`,
        [reason, queue],
      );
      return rows.length;
    },
  };
}

/**
 * Deletes at most `limit` finished job records (SUCCEEDED, FAILED, STOPPED) created before `before`,
 * of every queue sharing the database: the retention job's part (app/retention). Returns how many.
 */
export async function purgeJobRecords(db: Pick<Database, "sql">, before: Date, limit: number): Promise<number> {
  const rows = await db.sql.query(
    `DELETE FROM job_records WHERE id IN (
       SELECT id FROM job_records
        WHERE created_at < $1 AND status IN ('SUCCEEDED', 'FAILED', 'STOPPED')
        ORDER BY created_at LIMIT $2)
     RETURNING id`,
    [before, limit],
  );
  return rows.length;
}
