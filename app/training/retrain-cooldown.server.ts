/**
 * The retrain cooldown (RETRAIN_COOLDOWN_S): once a series' retrain is asked for through the native
 * API or the store page, another is refused (TooSoonError, 429) until the cooldown has passed,
 * whichever replica is asked: the claim is a row of `retrain_cooldowns`, taken by one atomic upsert.
 * Joining the series' retrain still waiting or running is no new retrain: it is answered with that
 * job (`deduplicated`), as concurrent submissions always were. The reference routes (/api/trainers)
 * keep their contract and do not come here.
 */
import { TooSoonError } from "../errors.js";
import { dedupeKeyOf, enqueueOnce } from "../jobs/dedupe.js";
import type { JobQueue } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";
import type { SeriesKey } from "../series.js";

export const COOLDOWN_LIMIT = "RETRAIN_COOLDOWN_S";

interface CooldownRow {
  requested_at: Date | string;
  job_id: string | null;
  wait_s: number;
  retry_at: Date | string;
}

type Claim =
  | { claimed: true; requestedAt: Date }
  | { claimed: false; jobId: string | null; waitS: number; retryAt: Date };

/**
 * Takes the series' cooldown when it is free (no row, or one older than the cooldown); otherwise says
 * whose it is and how long it lasts. A row gone or expired between the two statements is tried again.
 */
async function claim(db: Pick<Database, "sql">, key: SeriesKey, cooldownS: number): Promise<Claim> {
  for (let attempt = 0; ; attempt++) {
    const [taken] = await db.sql.query<{ requested_at: Date | string }>(
      `INSERT INTO retrain_cooldowns AS c (store, productname, requested_at, job_id)
       VALUES ($1, $2, now(), NULL)
       ON CONFLICT (store, productname) DO UPDATE SET requested_at = now(), job_id = NULL
        WHERE c.requested_at <= now() - $3::int * interval '1 second'
       RETURNING requested_at`,
      [key.store, key.productname, cooldownS],
    );
    if (taken) return { claimed: true, requestedAt: new Date(taken.requested_at) };
    const [held] = await db.sql.query<CooldownRow>(
      `SELECT requested_at, job_id, requested_at + $3::int * interval '1 second' AS retry_at,
              ceil(extract(epoch FROM requested_at + $3::int * interval '1 second' - now()))::int AS wait_s
         FROM retrain_cooldowns WHERE store = $1 AND productname = $2`,
      [key.store, key.productname, cooldownS],
    );
    if (held && held.wait_s > 0) {
      return { claimed: false, jobId: held.job_id, waitS: held.wait_s, retryAt: new Date(held.retry_at) };
    }
    if (attempt >= 2) throw new Error(`the retrain cooldown of store ${key.store} ${key.productname} kept changing`);
  }
}

/** Notes the job a claim started (or joined), so a later request can tell it has finished. */
async function recordJob(db: Pick<Database, "sql">, key: SeriesKey, jobId: string): Promise<void> {
  await db.sql.query(
    "UPDATE retrain_cooldowns SET job_id = $3 WHERE store = $1 AND productname = $2 AND job_id IS NULL",
    [key.store, key.productname, jobId],
  );
}

/** Gives a claim back when its job could not be enqueued: the next request may try at once. */
async function release(db: Pick<Database, "sql">, key: SeriesKey, requestedAt: Date): Promise<void> {
  await db.sql.query(
    `DELETE FROM retrain_cooldowns
      WHERE store = $1 AND productname = $2 AND requested_at = $3 AND job_id IS NULL`,
    [key.store, key.productname, requestedAt],
  );
}

/**
 * Asks for a retrain of one series under the cooldown: enqueues a `train-one` job, returns the
 * series' job already waiting or running instead (`deduplicated`), or throws TooSoonError (429) when
 * the series' last retrain was asked for less than `cooldownS` seconds ago and has finished.
 */
export async function requestRetrain(
  db: Pick<Database, "sql">,
  jobs: Pick<JobQueue, "enqueue" | "findActive">,
  key: SeriesKey,
  cooldownS: number,
): Promise<{ id: string; deduplicated: boolean }> {
  const enqueue = () => enqueueOnce(jobs, "train-one", { store: key.store, productname: key.productname });
  if (cooldownS <= 0) return enqueue();
  const dedupeKey = dedupeKeyOf("train-one", key);
  if (await jobs.findActive(dedupeKey)) return enqueue();
  const c = await claim(db, key, cooldownS);
  if (c.claimed) {
    let job: { id: string; deduplicated: boolean };
    try {
      job = await enqueue();
    } catch (err) {
      await release(db, key, c.requestedAt).catch(() => {});
      throw err;
    }
    await recordJob(db, key, job.id);
    return job;
  }
  // Claimed by a request still enqueueing (no job recorded yet) or whose job has not finished: this
  // request joins that job (enqueueOnce gives both the same one).
  if (c.jobId === null || (await jobs.findActive(dedupeKey))) {
    const job = await enqueue();
    await recordJob(db, key, job.id);
    return job;
  }
  throw new TooSoonError(
    `a retrain of store ${key.store} ${key.productname} was asked for less than ${cooldownS} s ago (${COOLDOWN_LIMIT}): ` +
      `retry in ${c.waitS} s, at ${c.retryAt.toISOString()}`,
    COOLDOWN_LIMIT,
    c.waitS,
    { store: key.store, product: key.productname, retryAt: c.retryAt.toISOString(), cooldownSeconds: cooldownS },
  );
}
