/**
 * Contract suite for a train-all shared between workers and resumed after an interruption
 * (app/training/claims.server.ts, trainAll and trainRunSeries): the same cases on in-memory PGlite
 * (unit) and on Postgres (integration). Real model threads, real data; "exactly once" is read
 * from the registry (one version per series carrying the run's id).
 */

import type { AppLoadContext } from "@remix-run/node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_PRINCIPAL } from "../../app/auth/principal.js";
import { formatDay, todayDay } from "../../app/days.js";
import { createInProcessQueue } from "../../app/jobs/in-process.server.js";
import { ABORT_CANCELLED, ABORT_SHUTDOWN } from "../../app/jobs/port.js";
import { createModelPool, type ModelPool } from "../../app/model/pool.server.js";
import { getRun } from "../../app/pipelines/runs.server.js";
import type { Database } from "../../app/platform/db.server.js";
import { registerVersion } from "../../app/registry/register.server.js";
import { action as jobAction } from "../../app/routes/_api+/api.jobs.$id.js";
import { claimSeries, planSeries, releaseClaims, summarizeRun } from "../../app/training/claims.server.js";
import { type TrainAllOptions, trainAll, trainRunSeries } from "../../app/training/train-all.server.js";
import { unfinishedTrainRuns } from "../../app/training/train-runs.server.js";
import { resumeInterruptedRun } from "../../workers/initial-training.js";
import { loadGeneratedHistory } from "./generated-history.js";

const STORES = 12;

/** Per series of the window: how many versions a run registered for it. */
async function versionsPerSeries(db: Database, runId: number): Promise<Map<string, number>> {
  const rows = await db.sql.query<{ store: number; productname: string; n: number }>(
    `SELECT s.store, s.productname, count(v.id)::int AS n
       FROM (SELECT DISTINCT store, productname FROM rossman_sales) s
       LEFT JOIN registered_models m ON m.store = s.store AND m.productname = s.productname
       LEFT JOIN model_versions v ON v.model_id = m.id AND v.pipeline_run_id = $1
      GROUP BY s.store, s.productname`,
    [runId],
  );
  return new Map(rows.map((r) => [`${r.store}/${r.productname}`, r.n]));
}

async function forecastRows(db: Database, runId: number): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM forecast_results WHERE pipeline_run_id = $1",
    [runId],
  );
  return row?.n ?? 0;
}

/**
 * A real trigger that raises "flaky: ..." once, on the `nth` row written to `table` (`when`: a
 * plpgsql condition on NEW/OLD): a passing database error at a chosen point. Returns its removal.
 */
async function failOnce(db: Database, name: string, table: string, event: string, when: string, nth: number) {
  await db.sql.query(`CREATE SEQUENCE ${name}_seq`);
  await db.sql.query(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF ${when} THEN
         IF nextval('${name}_seq') = ${nth} THEN RAISE EXCEPTION 'flaky: ${name}'; END IF;
       END IF;
       RETURN NEW;
     END $$`,
  );
  await db.sql.query(`CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return async () => {
    await db.sql.query(`DROP TRIGGER ${name} ON ${table}`);
    await db.sql.query(`DROP FUNCTION ${name}()`);
    await db.sql.query(`DROP SEQUENCE ${name}_seq`);
  };
}

/** A trigger that fails every `event` on `table` matching `when`; returns its removal. */
async function failAlways(db: Database, name: string, table: string, event: string, when: string) {
  await db.sql.query(
    `CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF ${when} THEN RAISE EXCEPTION 'broken: ${name}'; END IF;
       RETURN NEW;
     END $$`,
  );
  await db.sql.query(`CREATE TRIGGER ${name} BEFORE ${event} ON ${table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return async () => {
    await db.sql.query(`DROP TRIGGER ${name} ON ${table}`);
    await db.sql.query(`DROP FUNCTION ${name}()`);
  };
}

const everyOnce = (counts: Map<string, number>) => [...counts.values()].every((n) => n === 1);

/**
 * A train-all aborted with `reason` once `at` series are done: a shutdown (the run waits PENDING)
 * or a cancel (it ends STOPPED) at a chosen point. Batches of `at` unless `opts` say otherwise.
 */
function trainAllAbortedAt(
  db: Database,
  pool: ModelPool,
  at: number,
  reason: typeof ABORT_SHUTDOWN | typeof ABORT_CANCELLED,
  opts: Omit<TrainAllOptions, "signal" | "interrupted" | "onProgress"> = {},
) {
  const stop = new AbortController();
  return trainAll(db, pool, {
    batchSize: at,
    ...opts,
    signal: stop.signal,
    interrupted: () => stop.signal.reason === ABORT_SHUTDOWN,
    onProgress: (done) => {
      if (done >= at) stop.abort(reason);
    },
  });
}

export function describeSharedTraining(name: string, openDb: () => Promise<Database>): void {
  describe(`a train-all shared and resumed, on ${name}`, () => {
    let db: Database;
    let pool: ModelPool;

    beforeAll(async () => {
      db = await openDb();
      pool = createModelPool({ threads: 2 });
      await loadGeneratedHistory(db, { stores: STORES, seed: 23, tempPrefix: "train-share" });
    });
    afterAll(async () => {
      await pool?.close();
      await db?.close();
    });

    it("a helper trains alongside the run's own job: every series once, both did some, counts exact", async () => {
      let helped: Promise<unknown> = Promise.resolve();
      const progress: number[] = [];
      const result = await trainAll(db, pool, {
        worker: "replica-a#job",
        batchSize: 2,
        onProgress: (done) => progress.push(done),
        requestHelpers: async (runId, count) => {
          expect(count).toBe(STORES / 2 - 1);
          // One helper (another replica's worker) joins at once.
          helped = trainRunSeries(db, pool, runId, { worker: "replica-b#helper", batchSize: 2 });
        },
      });
      const helper = (await helped) as { finished: number };
      expect(result).toMatchObject({ status: "SUCCEEDED", series: STORES, trained: STORES, skipped: 0, failed: 0 });
      expect(result.forecastRows).toBe(STORES * 7);
      expect(await forecastRows(db, result.runId)).toBe(STORES * 7);
      expect(everyOnce(await versionsPerSeries(db, result.runId))).toBe(true);
      expect(helper.finished).toBeGreaterThan(0);
      expect(helper.finished).toBeLessThan(STORES);
      expect(result.workers).toEqual({ "replica-a": STORES - helper.finished, "replica-b": helper.finished });
      expect(progress.at(-1)).toBe(STORES);
      expect(progress).toEqual([...progress].sort((a, b) => a - b));
      const run = await getRun(db, result.runId);
      expect(run).toMatchObject({ status: "SUCCEEDED", progressDone: STORES, progressTotal: STORES });
      // A helper that comes once the run is over finds nothing to do.
      expect(await trainRunSeries(db, pool, result.runId)).toMatchObject({ finished: 0, note: "run SUCCEEDED" });
    });

    it("interrupted by a shutdown, the run waits PENDING and resumes with the rest: every series once", async () => {
      const first = await trainAllAbortedAt(db, pool, 3, ABORT_SHUTDOWN, { worker: "replica-a#first" });
      expect(first.status).toBe("PENDING");
      expect(first.trained).toBeGreaterThanOrEqual(3);
      expect(first.trained).toBeLessThan(STORES);
      const pending = await getRun(db, first.runId);
      expect(pending).toMatchObject({ status: "PENDING", finishedAt: null });
      expect(pending?.error).toMatch(/interrupted by a shutdown/);
      expect((await unfinishedTrainRuns(db)).map((r) => r.id)).toContain(first.runId);
      // Nothing stays claimed: any worker may take the rest at once.
      expect(await releaseClaims(db, first.runId, "replica-a#first")).toBe(0);

      const resumed = await trainAll(db, pool, { resumeRunId: first.runId, worker: "replica-b#resume" });
      expect(resumed).toMatchObject({ runId: first.runId, status: "SUCCEEDED", series: STORES, trained: STORES });
      expect(resumed.workers["replica-a"]).toBe(first.trained);
      expect(resumed.workers["replica-b"]).toBe(STORES - first.trained);
      expect(everyOnce(await versionsPerSeries(db, first.runId))).toBe(true);
      expect(await forecastRows(db, first.runId)).toBe(STORES * 7);
      const run = await getRun(db, first.runId);
      expect(run).toMatchObject({ status: "SUCCEEDED", error: null, progressDone: STORES });
      expect(run?.steps.map((s) => s.name)).toEqual(["load", "train", "load", "train"]);
      expect((await unfinishedTrainRuns(db)).map((r) => r.id)).not.toContain(first.runId);
    });

    it("a resumed run finishes what a crashed worker left: an expired claim, a version without its forecast", async () => {
      const first = await trainAllAbortedAt(db, pool, 2, ABORT_SHUTDOWN, { worker: "crashed#1" });
      expect(first.status).toBe("PENDING");
      // A worker that died holding claims (its lease runs out: 1 ms here)...
      const held = await claimSeries(db, first.runId, "crashed#2", 2, 1);
      expect(held).toHaveLength(2);
      // ...and one that died after registering a series, before its forecast and outcome were written.
      const [victim] = await db.sql.query<{ store: number; productname: string }>(
        `SELECT store, productname FROM train_series
          WHERE run_id = $1 AND outcome IS NULL AND claimed_by IS NULL ORDER BY store LIMIT 1`,
        [first.runId],
      );
      const model = await db.sql.query<{ params: unknown; config: unknown }>(
        `SELECT v.params, v.config FROM model_versions v JOIN registered_models m ON m.id = v.model_id
          WHERE m.store = $1 AND m.productname = $2 ORDER BY v.version DESC LIMIT 1`,
        [victim!.store, victim!.productname],
      );
      await registerVersion(db, {
        store: victim!.store,
        productname: victim!.productname,
        config: model[0]!.config,
        params: model[0]!.params,
        trainStart: formatDay(todayDay() - 100),
        trainEnd: formatDay(todayDay() - 1),
        trainRows: 90,
        cv: null,
        durationMs: 1,
        pipelineRunId: first.runId,
      });
      await new Promise((r) => setTimeout(r, 20));

      const resumed = await trainAll(db, pool, { resumeRunId: first.runId, worker: "survivor#1" });
      expect(resumed).toMatchObject({ status: "SUCCEEDED", trained: STORES, failed: 0 });
      expect(everyOnce(await versionsPerSeries(db, first.runId))).toBe(true);
      expect(await forecastRows(db, first.runId)).toBe(STORES * 7);
    });

    it("a cancelled run ends STOPPED; its helpers find nothing to claim", async () => {
      const result = await trainAllAbortedAt(db, pool, 2, ABORT_CANCELLED);
      expect(result.status).toBe("STOPPED");
      expect(result.trained).toBeLessThan(STORES);
      expect(await getRun(db, result.runId)).toMatchObject({ status: "STOPPED" });
      expect(await claimSeries(db, result.runId, "late#1", 5)).toEqual([]);
      expect(await trainRunSeries(db, pool, result.runId)).toMatchObject({ finished: 0, note: "run STOPPED" });
      expect((await summarizeRun(db, result.runId, 10)).trained).toBe(result.trained);
    });

    it("a database error after a series is registered does not fail it: it is finished again, once", async () => {
      // The first forecast write of the run fails once, after its series was registered.
      const restore = await failOnce(db, "flaky_forecast", "forecast_results", "INSERT", "true", 1);
      try {
        const result = await trainAll(db, pool, { worker: "flaky#forecast", batchSize: 3 });
        expect(result).toMatchObject({ status: "SUCCEEDED", series: STORES, trained: STORES, failed: 0 });
        expect(result.forecastRows).toBe(STORES * 7);
        expect(everyOnce(await versionsPerSeries(db, result.runId))).toBe(true);
        expect(await forecastRows(db, result.runId)).toBe(STORES * 7);
      } finally {
        await restore();
      }
    });

    it("a database error that keeps coming after the fit fails that series after a few tries, and the run ends", async () => {
      const restore = await failAlways(db, "broken_forecast", "forecast_results", "INSERT", "NEW.store = 1");
      try {
        const result = await trainAll(db, pool, { worker: "broken#forecast", batchSize: 3 });
        expect(result).toMatchObject({ status: "SUCCEEDED", series: STORES, trained: STORES - 1, failed: 1 });
        expect(result.failures).toEqual([
          expect.objectContaining({
            store: 1,
            reason: expect.stringMatching(/^failed 3 times after fitting: .*broken_forecast/),
          }),
        ]);
        expect(await forecastRows(db, result.runId)).toBe((STORES - 1) * 7);
      } finally {
        await restore();
      }
    });

    it("a worker whose claim fails stops its other runners before it hands its series back", async () => {
      // The worker's second batch claim fails (rows 1-2 are the first batch).
      const restore = await failOnce(
        db,
        "flaky_claim",
        "train_series",
        "UPDATE",
        "NEW.claimed_by = 'flaky#claim' AND OLD.claimed_by IS DISTINCT FROM NEW.claimed_by",
        3,
      );
      try {
        await expect(
          trainAll(db, pool, {
            worker: "flaky#claim",
            batchSize: 2,
          }),
        ).rejects.toThrow(/flaky: flaky_claim/);
      } finally {
        await restore();
      }
      const [run] = await db.sql.query<{ id: number; status: string }>(
        "SELECT id, status FROM pipeline_runs ORDER BY id DESC LIMIT 1",
      );
      const runId = run!.id;
      expect(run!.status).toBe("FAILED");
      const state = async () => {
        const [row] = await db.sql.query<{ done: number; claimed: number; versions: number }>(
          `SELECT count(*) FILTER (WHERE outcome IS NOT NULL)::int AS done,
                  count(*) FILTER (WHERE claimed_by IS NOT NULL)::int AS claimed,
                  (SELECT count(*)::int FROM model_versions WHERE pipeline_run_id = $1) AS versions
             FROM train_series WHERE run_id = $1`,
          [runId],
        );
        return row!;
      };
      // Every runner had settled when it returned: nothing claimed, nothing trained after it.
      const settled = await state();
      expect(settled.claimed).toBe(0);
      expect(settled.versions).toBe(settled.done);
      expect(settled.done).toBeLessThanOrEqual(2);
      await new Promise((r) => setTimeout(r, 1500));
      expect(await state()).toEqual(settled);
    });

    it("a train-all cancelled while it waits to resume ends STOPPED: its helpers stop, it is not resumed", async () => {
      const jobs = createInProcessQueue();
      const ctx = { db, log: pino({ level: "silent" }) } as Parameters<typeof resumeInterruptedRun>[0];
      const interrupt = async (jobId: string) => {
        const run = await trainAllAbortedAt(db, pool, 2, ABORT_SHUTDOWN, {
          jobId,
          worker: `replica-a#${jobId.slice(0, 8)}`,
        });
        expect(run.status).toBe("PENDING");
        return run.runId;
      };
      try {
        // Cancelled through the API: the run ends STOPPED at once and a queued helper finds nothing.
        const { id: cancelledJob } = await jobs.enqueue("train-all", { runKind: "train-all" });
        const runId = await interrupt(cancelledJob);
        const res = await jobAction({
          request: new Request(`http://x/api/jobs/${cancelledJob}`, { method: "DELETE" }),
          params: { id: cancelledJob },
          context: { db, jobs, principal: OPEN_PRINCIPAL } as unknown as AppLoadContext,
        });
        expect(res.status).toBe(200);
        expect(await getRun(db, runId)).toMatchObject({ status: "STOPPED" });
        expect(await claimSeries(db, runId, "late#1", 5)).toEqual([]);
        expect(await trainRunSeries(db, pool, runId)).toMatchObject({ finished: 0, note: "run STOPPED" });

        // Cancelled where the run was not stopped (another replica, an older version): at start-up
        // the run of a STOPPED job ends STOPPED instead of being resumed.
        const { id: otherJob } = await jobs.enqueue("train-all", { runKind: "train-all" });
        const otherRun = await interrupt(otherJob);
        expect(await jobs.cancel(otherJob)).toBe(true);
        expect(await getRun(db, otherRun)).toMatchObject({ status: "PENDING" });
        const resumed = await resumeInterruptedRun(ctx, jobs);
        expect(resumed).toBeNull();
        expect(await getRun(db, otherRun)).toMatchObject({ status: "STOPPED" });
        expect((await unfinishedTrainRuns(db)).map((r) => r.id)).not.toContain(otherRun);
      } finally {
        await jobs.close();
      }
    });

    it("planning is idempotent and claims never overlap", async () => {
      const [run] = await db.sql.query<{ id: number }>(
        "INSERT INTO pipeline_runs (kind, status) VALUES ('train-all', 'RUNNING') RETURNING id",
      );
      const newest = todayDay() - 1;
      expect(await planSeries(db, run!.id, newest - 120, newest)).toBe(STORES);
      expect(await planSeries(db, run!.id, newest - 120, newest)).toBe(STORES);
      const claims = await Promise.all(["w#1", "w#2", "w#3"].map((w) => claimSeries(db, run!.id, w, 5)));
      const all = claims.flat().map((c) => c.store);
      expect(all).toHaveLength(STORES);
      expect(new Set(all).size).toBe(STORES);
      expect(await claimSeries(db, run!.id, "w#4", 5)).toEqual([]);
      expect(await releaseClaims(db, run!.id, "w#2")).toBe(claims[1]!.length);
      expect((await claimSeries(db, run!.id, "w#4", 50)).length).toBe(claims[1]!.length);
    });
  });
}
