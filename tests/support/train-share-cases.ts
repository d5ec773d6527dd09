/**
 * Contract suite for a train-all shared between workers and resumed after an interruption
 * (app/train-claims.server.ts, trainAll and trainRunSeries): the same cases on in-memory PGlite
 * (unit) and on Postgres (integration). Real model threads, real data; "exactly once" is read
 * from the registry (one version per series carrying the run's id).
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeGeneratedData } from "../../app/datagen.server.js";
import { formatDay, todayDay } from "../../app/days.js";
import type { Database } from "../../app/db.server.js";
import { trainAll, trainRunSeries, unfinishedTrainRuns } from "../../app/forecast.server.js";
import { loadHistory } from "../../app/history.server.js";
import { ABORT_CANCELLED, ABORT_SHUTDOWN } from "../../app/jobs/port.js";
import { createModelPool, type ModelPool } from "../../app/model-pool.server.js";
import { getRun } from "../../app/pipeline-runs.server.js";
import { registerVersion } from "../../app/registry.server.js";
import { claimSeries, planSeries, releaseClaims, summarizeRun } from "../../app/train-claims.server.js";
import { tempDir } from "./processes.js";

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

const everyOnce = (counts: Map<string, number>) => [...counts.values()].every((n) => n === 1);

export function describeSharedTraining(name: string, openDb: () => Promise<Database>): void {
  describe(`a train-all shared and resumed, on ${name}`, () => {
    let db: Database;
    let pool: ModelPool;

    beforeAll(async () => {
      db = await openDb();
      pool = createModelPool({ threads: 2 });
      const files = await writeGeneratedData({
        stores: STORES,
        products: 1,
        days: 160,
        endDate: formatDay(todayDay() + 9),
        seed: 23,
        outDir: path.join(tempDir("train-share"), "data"),
      });
      await loadHistory(db, { csv: files.historyCsv, calendarCsv: files.calendarCsv, storesCsv: files.storesCsv });
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
      const stop = new AbortController();
      const first = await trainAll(db, pool, {
        worker: "replica-a#first",
        batchSize: 3,
        signal: stop.signal,
        interrupted: () => stop.signal.reason === ABORT_SHUTDOWN,
        onProgress: (done) => {
          if (done >= 3) stop.abort(ABORT_SHUTDOWN);
        },
      });
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
      const stop = new AbortController();
      const first = await trainAll(db, pool, {
        worker: "crashed#1",
        batchSize: 2,
        signal: stop.signal,
        interrupted: () => true,
        onProgress: (done) => {
          if (done >= 2) stop.abort(ABORT_SHUTDOWN);
        },
      });
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
      const stop = new AbortController();
      const result = await trainAll(db, pool, {
        batchSize: 2,
        signal: stop.signal,
        interrupted: () => stop.signal.reason === ABORT_SHUTDOWN,
        onProgress: (done) => {
          if (done >= 2) stop.abort(ABORT_CANCELLED);
        },
      });
      expect(result.status).toBe("STOPPED");
      expect(result.trained).toBeLessThan(STORES);
      expect(await getRun(db, result.runId)).toMatchObject({ status: "STOPPED" });
      expect(await claimSeries(db, result.runId, "late#1", 5)).toEqual([]);
      expect(await trainRunSeries(db, pool, result.runId)).toMatchObject({ finished: 0, note: "run STOPPED" });
      expect((await summarizeRun(db, result.runId, 10)).trained).toBe(result.trained);
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
