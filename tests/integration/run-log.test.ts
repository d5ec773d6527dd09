/**
 * A pipeline run's log on a real database (Postgres, and PGlite): a noisy run cannot grow its log
 * without limit, several writers of one run share its numbering, lines are written in batches, and
 * the log goes with its run. docs/decisions/0035.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RUN_LOG_BOUND } from "../../app/pipelines/run-log.js";
import { RunLogWriter, readRunLog } from "../../app/pipelines/run-log.server.js";
import { PipelineRun } from "../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { runRetention } from "../../app/retention/run.server.js";
import { openScratchPostgres } from "../support/databases.js";

const { head, tail } = RUN_LOG_BOUND;

/** The same database, its SQL session counting the statements that write log lines. */
function counting(db: Database): { db: Database; inserts: () => number } {
  let inserts = 0;
  const sql = {
    ...db.sql,
    query: ((text: string, params?: unknown[], opts?: unknown) => {
      if (text.includes("INSERT INTO pipeline_run_logs")) inserts++;
      return (db.sql.query as (...a: unknown[]) => Promise<unknown>)(text, params, opts);
    }) as Database["sql"]["query"],
  };
  return { db: { ...db, sql }, inserts: () => inserts };
}

async function stored(db: Database, runId: number) {
  const rows = await db.sql.query<{ seq: number; bytes: number }>(
    "SELECT seq, octet_length(message) + coalesce(octet_length(fields::text), 0) AS bytes FROM pipeline_run_logs WHERE run_id = $1 ORDER BY seq",
    [runId],
  );
  const [run] = await db.sql.query<{ log_lines: number }>("SELECT log_lines FROM pipeline_runs WHERE id = $1", [runId]);
  return { seqs: rows.map((r) => r.seq), bytes: rows.reduce((n, r) => n + Number(r.bytes), 0), total: run!.log_lines };
}

const keptSeqs = (total: number) =>
  Array.from({ length: total }, (_, i) => i).filter((i) => i < head || i >= total - tail);

const databases: [string, () => Promise<{ db: Database; dispose(): Promise<void> }>][] = [
  ["Postgres", () => openScratchPostgres("storecast_runlog")],
  [
    "PGlite",
    async () => {
      const db = await openDatabase({ pgliteDir: "memory://" });
      return { db, dispose: () => db.close() };
    },
  ],
];

describe.each(databases)("a run's log on %s", (_name, open) => {
  let scratch: Awaited<ReturnType<typeof open>>;
  let db: Database;
  beforeAll(async () => {
    scratch = await open();
    db = scratch.db;
  }, 60_000);
  afterAll(async () => {
    await scratch?.dispose();
  });

  it("a noisy run keeps its first and last lines only, however much it logs, in few statements", async () => {
    const spy = counting(db);
    const run = await PipelineRun.start(spy.db, "retention");
    const NOISE = 30_000;
    for (let i = 0; i < NOISE; i++) {
      // A hot path: a long line each time, now and then a pause that lets the timer flush.
      run.log.info(`noise ${i} ${"x".repeat(5_000)}`, { i, blob: "y".repeat(10_000) });
      if (i % 5_000 === 0) await new Promise((r) => setImmediate(r));
    }
    run.log.error("the last words");
    await run.finish("FAILED", { error: "too noisy" });

    const { seqs, bytes, total } = await stored(db, run.id);
    // Every line is counted: started + noise + last words + failed.
    expect(total).toBe(NOISE + 3);
    expect(seqs).toEqual(keptSeqs(total));
    expect(seqs.length).toBe(head + tail);
    // Each kept line is cut to size: the whole log stays small.
    expect(bytes).toBeLessThan((head + tail) * 3_200);
    // Batched: a statement per 200 lines at most, not one per line.
    expect(spy.inserts()).toBeLessThanOrEqual(Math.ceil(total / 200) + 5);

    const page = await readRunLog(db, run.id);
    expect(page?.dropped).toEqual({ from: head, to: total - tail });
    expect(page?.lines[0]?.message).toBe("retention run started");
    expect(page?.lines.at(-1)).toMatchObject({ level: "error", message: "run failed: too noisy" });
    expect(page?.lines.at(-2)).toMatchObject({ level: "error", message: "the last words" });
    const errors = await readRunLog(db, run.id, { level: "warn" });
    expect(errors?.lines.map((l) => l.message)).toEqual(["the last words", "run failed: too noisy"]);
  }, 120_000);

  it("several writers of one run (helpers on other replicas) share its numbering and its bound", async () => {
    const run = await PipelineRun.start(db, "train-all");
    const writers = [0, 1, 2].map(() => new RunLogWriter(db, run.id, { batchLines: 50, flushMs: 5 }));
    await Promise.all(
      writers.map(async (w, k) => {
        for (let i = 0; i < 2_000; i++) {
          w.debug(`writer ${k} line ${i}`);
          if (i % 97 === 0) await new Promise((r) => setTimeout(r, 1));
        }
        await w.close();
      }),
    );
    await run.finish("SUCCEEDED");
    // One more batch from any writer settles the middle that a late insert may have left.
    const { seqs, total } = await stored(db, run.id);
    expect(total).toBe(6_000 + 2);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs).toEqual(keptSeqs(total));
  }, 60_000);

  it("a real run's lines: retention logs its start, steps and end; the log goes with its run", async () => {
    const report = await runRetention(db, {
      keepVersions: 3,
      versionDays: 30,
      runDays: 30,
      rejectDays: 30,
      jobRecordDays: 7,
    } as Parameters<typeof runRetention>[1]);
    const page = await readRunLog(db, report.runId);
    const messages = page?.lines.map((l) => l.message) ?? [];
    expect(messages[0]).toBe("retention run started");
    expect(messages).toContain("step model versions finished");
    expect(messages.at(-1)).toBe("run succeeded");
    expect(page?.lines.every((l, i, all) => i === 0 || l.seq > all[i - 1]!.seq)).toBe(true);

    await db.sql.query("DELETE FROM pipeline_runs WHERE id = $1", [report.runId]);
    expect(await readRunLog(db, report.runId)).toBeNull();
    const [left] = await db.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM pipeline_run_logs WHERE run_id = $1",
      [report.runId],
    );
    expect(left?.n).toBe(0);
  }, 60_000);

  it("a writer whose run is gone writes nothing and does not throw", async () => {
    const errors: unknown[] = [];
    const w = new RunLogWriter(db, 999_999_999, { onError: (e) => errors.push(e) });
    w.info("into the void");
    await w.close();
    expect(errors).toEqual([]);
    expect((await stored(db, 999_999_999).catch(() => null))?.seqs ?? []).toEqual([]);
  });
});
