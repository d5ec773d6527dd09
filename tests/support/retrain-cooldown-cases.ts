/**
 * Contract suite for the retrain cooldown (app/training/retrain-cooldown.server.ts): the same cases
 * on PGlite (unit) and Postgres (integration), with real in-process queues whose train-one handler
 * waits for the test to let it finish. Postgres has a pool, so its concurrent requests race for real.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TooSoonError } from "../../app/errors.js";
import { createInProcessQueue } from "../../app/jobs/in-process.server.js";
import type { JobQueue } from "../../app/jobs/port.js";
import type { Database } from "../../app/platform/db.server.js";
import { COOLDOWN_LIMIT, requestRetrain } from "../../app/training/retrain-cooldown.server.js";
import { handlers } from "./queue-cases.js";
import { waitFor } from "./stream-cases.js";

const COOLDOWN_S = 600;

/** A queue whose train-one jobs run until release() (all of them), then succeed. */
async function gatedQueue(): Promise<JobQueue & { release(): void }> {
  let open: () => void = () => {};
  let gate = new Promise<void>((r) => {
    open = r;
  });
  const queue = createInProcessQueue({ concurrency: 4 });
  await queue.startWorkers(
    handlers({
      "train-one": async () => {
        await gate;
        return { ok: true };
      },
    }),
  );
  return Object.assign(queue, {
    release() {
      open();
      gate = new Promise<void>((r) => {
        open = r;
      });
    },
  });
}

export function describeRetrainCooldown(name: string, openDb: () => Promise<Database>): void {
  describe(`retrain cooldown (${name})`, () => {
    let db: Database;
    let jobs: Awaited<ReturnType<typeof gatedQueue>>;
    let otherReplica: Awaited<ReturnType<typeof gatedQueue>>;
    let store = 100;
    /** A series no other case touched. */
    const series = () => ({ store: ++store, productname: "product_A" });
    const finished = (queue: JobQueue, id: string) =>
      waitFor(`job ${id} to finish`, async () => (await queue.get(id))?.status === "SUCCEEDED", 10_000);

    beforeAll(async () => {
      db = await openDb();
      jobs = await gatedQueue();
      otherReplica = await gatedQueue();
    });
    afterAll(async () => {
      jobs?.release();
      otherReplica?.release();
      await jobs?.close(1000);
      await otherReplica?.close(1000);
      await db?.close();
    });

    it("joins the series' job while it waits or runs, however many ask at once", async () => {
      const key = series();
      const answers = await Promise.all(Array.from({ length: 20 }, () => requestRetrain(db, jobs, key, COOLDOWN_S)));
      expect(new Set(answers.map((a) => a.id)).size).toBe(1);
      expect(answers.filter((a) => !a.deduplicated)).toHaveLength(1);
      const again = await requestRetrain(db, jobs, key, COOLDOWN_S);
      expect(again).toEqual({ id: answers[0]!.id, deduplicated: true });
      jobs.release();
      await finished(jobs, again.id);
    });

    it("refuses another retrain once the job finished, naming the series, the limit and when to retry", async () => {
      const key = series();
      const first = await requestRetrain(db, jobs, key, COOLDOWN_S);
      jobs.release();
      await finished(jobs, first.id);
      const refused = await requestRetrain(db, jobs, key, COOLDOWN_S).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(TooSoonError);
      const err = refused as TooSoonError;
      expect(err.status).toBe(429);
      expect(err.message).toContain(`store ${key.store} product_A`);
      expect(err.message).toContain(COOLDOWN_LIMIT);
      expect(err.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(err.retryAfterSeconds).toBeLessThanOrEqual(COOLDOWN_S);
      expect(err.details()).toMatchObject({
        limit: COOLDOWN_LIMIT,
        retryAfterSeconds: err.retryAfterSeconds,
        store: key.store,
        product: "product_A",
        retryAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      });
      // Nothing was enqueued for it; another series is not held back.
      expect(await jobs.findActive(`train-one:${key.store}:product_A`)).toBeNull();
      const other = await requestRetrain(db, jobs, series(), COOLDOWN_S);
      expect(other.deduplicated).toBe(false);
      jobs.release();
      await finished(jobs, other.id);
    });

    it("holds the cooldown for every replica: the database keeps it, not the process", async () => {
      const key = series();
      const first = await requestRetrain(db, jobs, key, COOLDOWN_S);
      jobs.release();
      await finished(jobs, first.id);
      await expect(requestRetrain(db, otherReplica, key, COOLDOWN_S)).rejects.toBeInstanceOf(TooSoonError);
    });

    it("lets the series be retrained again once the cooldown has passed", async () => {
      const key = series();
      const first = await requestRetrain(db, jobs, key, COOLDOWN_S);
      jobs.release();
      await finished(jobs, first.id);
      // The cooldown started COOLDOWN_S seconds ago, as far as the database is concerned.
      await db.sql.query(
        `UPDATE retrain_cooldowns SET requested_at = requested_at - ${COOLDOWN_S} * interval '1 second'
          WHERE store = $1 AND productname = $2`,
        [key.store, key.productname],
      );
      const second = await requestRetrain(db, jobs, key, COOLDOWN_S);
      expect(second.id).not.toBe(first.id);
      expect(second.deduplicated).toBe(false);
      jobs.release();
      await finished(jobs, second.id);
    });

    it("gives the cooldown back when the job could not be enqueued", async () => {
      const key = series();
      const down: JobQueue = { ...jobs, enqueue: () => Promise.reject(new Error("queue down")) };
      await expect(requestRetrain(db, down, key, COOLDOWN_S)).rejects.toThrow("queue down");
      const next = await requestRetrain(db, jobs, key, COOLDOWN_S);
      expect(next.deduplicated).toBe(false);
      jobs.release();
      await finished(jobs, next.id);
    });

    it("with a cooldown of 0, every retrain after the last finished is a new job", async () => {
      const key = series();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const job = await requestRetrain(db, jobs, key, 0);
        expect(job.deduplicated).toBe(false);
        ids.push(job.id);
        jobs.release();
        await finished(jobs, job.id);
      }
      expect(new Set(ids).size).toBe(3);
    });
  });
}
