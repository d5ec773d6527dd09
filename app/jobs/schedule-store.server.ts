/**
 * The ScheduleStore port: on the database (table job_schedules, shared by every replica of a queue
 * and kept across restarts; same SQL on Postgres and PGlite), or in memory (a queue opened without
 * a database, as in unit tests). See docs/decisions/0036.
 */
import type { Database } from "../platform/db.server.js";
import { hasNul } from "../rossmann.js";
import { dedupeKeyOf } from "./dedupe.js";
import type { JobDataByKind, JobKind, JobQueue, Schedule, ScheduleStore, StoredSchedule } from "./port.js";

interface ScheduleRow {
  name: string;
  kind: string;
  cron: string;
  data: unknown;
  paused: boolean;
  last_job_id: string | null;
  last_run_at: Date | string | null;
}

const COLUMNS = "name, kind, cron, data, paused, last_job_id, last_run_at";

function toStored(r: ScheduleRow): StoredSchedule {
  return {
    name: r.name,
    kind: r.kind as JobKind,
    cron: r.cron,
    data: (r.data ?? {}) as JobDataByKind[JobKind],
    paused: r.paused,
    lastJobId: r.last_job_id,
    lastRunAt: r.last_run_at === null ? null : new Date(r.last_run_at),
  };
}

/** The schedules of the queue named `queue` (JOB_QUEUE). */
export function databaseScheduleStore(db: Pick<Database, "sql">, queue: string): ScheduleStore {
  const get = async (name: string): Promise<StoredSchedule | null> => {
    // Postgres text holds no NUL: no schedule has such a name.
    if (hasNul(name) || name.length > 100) return null;
    const [row] = await db.sql.query<ScheduleRow>(
      `SELECT ${COLUMNS} FROM job_schedules WHERE queue = $1 AND name = $2`,
      [queue, name],
    );
    return row ? toStored(row) : null;
  };
  return {
    async register(list) {
      const out: StoredSchedule[] = [];
      for (const s of list) {
        // The definition is the registration's; the paused flag and the last run stay the store's.
        const [row] = await db.sql.query<ScheduleRow>(
          `INSERT INTO job_schedules (queue, name, kind, cron, data, paused, updated_at)
           VALUES ($1, $2, $3, $4, $5::jsonb, false, now())
           ON CONFLICT (queue, name) DO UPDATE SET
             kind = EXCLUDED.kind, cron = EXCLUDED.cron, data = EXCLUDED.data, updated_at = now()
           RETURNING ${COLUMNS}`,
          [queue, s.name, s.kind, s.cron, JSON.stringify(s.data ?? {})],
        );
        out.push(toStored(row!));
      }
      return out;
    },
    async list() {
      const rows = await db.sql.query<ScheduleRow>(
        `SELECT ${COLUMNS} FROM job_schedules WHERE queue = $1 ORDER BY name`,
        [queue],
      );
      return rows.map(toStored);
    },
    get,
    async setPaused(name, paused) {
      if (hasNul(name) || name.length > 100) return null;
      const [row] = await db.sql.query<ScheduleRow>(
        `UPDATE job_schedules SET paused = $3, updated_at = now() WHERE queue = $1 AND name = $2 RETURNING ${COLUMNS}`,
        [queue, name, paused],
      );
      return row ? toStored(row) : null;
    },
    async started(name, jobId, at) {
      await db.sql.query(`UPDATE job_schedules SET last_job_id = $3, last_run_at = $4 WHERE queue = $1 AND name = $2`, [
        queue,
        name,
        jobId,
        at,
      ]);
    },
  };
}

/** Schedules kept in memory: for a queue without a database; nothing outlives the process. */
export function memoryScheduleStore(): ScheduleStore {
  const byName = new Map<string, StoredSchedule>();
  const copy = (s: StoredSchedule | undefined): StoredSchedule | null => (s ? { ...s } : null);
  return {
    async register(list: Schedule[]) {
      return list.map((s) => {
        const old = byName.get(s.name);
        const stored: StoredSchedule = {
          ...s,
          paused: old?.paused ?? false,
          lastJobId: old?.lastJobId ?? null,
          lastRunAt: old?.lastRunAt ?? null,
        };
        byName.set(s.name, stored);
        return { ...stored };
      });
    },
    async list() {
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)).map((s) => ({ ...s }));
    },
    async get(name) {
      return copy(byName.get(name));
    },
    async setPaused(name, paused) {
      const s = byName.get(name);
      if (s) s.paused = paused;
      return copy(s);
    },
    async started(name, jobId, at) {
      const s = byName.get(name);
      if (s) Object.assign(s, { lastJobId: jobId, lastRunAt: at });
    },
  };
}

/**
 * Run now: the schedule's job enqueued under its usual dedupe key (so it joins an identical job
 * queued or running), recorded as the schedule's last run when it started one.
 */
export async function runStoredSchedule(
  store: ScheduleStore,
  s: StoredSchedule,
  enqueue: JobQueue["enqueue"],
): Promise<{ id: string; deduplicated: boolean }> {
  const job = await enqueue(s.kind, s.data as never, { dedupeKey: dedupeKeyOf(s.kind, s.data as never) });
  if (!job.deduplicated) await store.started(s.name, job.id, new Date());
  return job;
}
