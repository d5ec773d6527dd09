import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import { databaseJobStore, purgeJobRecords } from "../../../app/jobs/job-store.server.js";
import { openJobQueue } from "../../../app/jobs/open.server.js";
import { INTERRUPTED, JOB_RETENTION_MS, type JobInfo, wasInterrupted } from "../../../app/jobs/port.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { handlers } from "../../support/queue-cases.js";
import { waitFor } from "../../support/stream-cases.js";

const log = pino({ level: "silent" });

const job = (id: string, p: Partial<JobInfo> = {}): JobInfo => ({
  id,
  kind: "train-one",
  data: { store: 1, productname: "product_A" },
  status: "PENDING",
  progress: null,
  result: null,
  error: null,
  attempts: 0,
  createdAt: new Date("2026-12-01T10:00:00Z"),
  startedAt: null,
  finishedAt: null,
  ...p,
});

describe("the in-process queue's jobs in the database", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => db?.close());

  it("saves, replaces and loads a job's record, per queue", async () => {
    const store = databaseJobStore(db, "a");
    await store.save(job("j1"));
    const done = job("j1", {
      status: "SUCCEEDED",
      attempts: 1,
      result: { trained: 3 },
      progress: { done: 3, total: 3 },
      startedAt: new Date("2026-12-01T10:00:01Z"),
      finishedAt: new Date("2026-12-01T10:00:02Z"),
    });
    await store.save(done);
    expect(await store.load("j1")).toEqual(done);
    expect(await databaseJobStore(db, "b").load("j1")).toBeNull();
    expect(await store.load("nope")).toBeNull();
    // An id from a URL may hold a NUL, which Postgres refuses: no such job, not an error.
    expect(await store.load("j1\u0000")).toBeNull();
  });

  it("lists newest first, by kind", async () => {
    const store = databaseJobStore(db, "list");
    await store.save(job("old", { createdAt: new Date("2026-12-01T00:00:00Z") }));
    await store.save(job("new", { createdAt: new Date("2026-12-02T00:00:00Z"), kind: "train-all", data: {} }));
    expect((await store.list({ limit: 10 })).map((j) => j.id)).toEqual(["new", "old"]);
    expect((await store.list({ kind: "train-one", limit: 10 })).map((j) => j.id)).toEqual(["old"]);
  });

  it("purges finished records older than the retention, of every queue, a batch at a time", async () => {
    const [a, b] = [databaseJobStore(db, "purge-a"), databaseJobStore(db, "purge-b")];
    const old = new Date(Date.now() - JOB_RETENTION_MS - 60_000);
    await a.save(job("ancient-a", { createdAt: old, status: "SUCCEEDED" }));
    await b.save(job("ancient-b", { createdAt: old, status: "FAILED" }));
    await b.save(job("ancient-c", { createdAt: old, status: "STOPPED" }));
    await a.save(job("ancient-running", { createdAt: old, status: "RUNNING" }));
    await a.save(job("recent", { createdAt: new Date(), status: "SUCCEEDED" }));
    const before = new Date(Date.now() - JOB_RETENTION_MS);
    expect(await purgeJobRecords(db, before, 2)).toBe(2);
    expect(await purgeJobRecords(db, before, 2)).toBe(1);
    expect(await purgeJobRecords(db, before, 2)).toBe(0);
    for (const [store, id] of [
      [a, "ancient-a"],
      [b, "ancient-b"],
      [b, "ancient-c"],
    ] as const) {
      expect(await store.load(id), id).toBeNull();
    }
    // A job not finished is not deleted however old (the start of the next process stops it first).
    expect(await a.load("ancient-running")).not.toBeNull();
    expect(await a.load("recent")).not.toBeNull();
  });

  it("a job's status outlives the process: a finished job is found by the next one, an unfinished one is STOPPED", async () => {
    const config = { REDIS_URL: undefined, JOB_QUEUE: "restart", JOB_CONCURRENCY: 1 };
    const first = await openJobQueue(config, log, db);
    let release = () => {};
    const held = new Promise<void>((r) => {
      release = r;
    });
    await first.startWorkers(
      handlers({
        "ingest-daily": async () => "done",
        "train-all": () => held,
      }),
    );
    const finished = await first.enqueue("ingest-daily", {});
    await waitFor("the first job", async () => (await first.get(finished.id))?.status === "SUCCEEDED", 5_000);
    const running = await first.enqueue("train-all", {});
    await waitFor("the second job to run", async () => (await first.get(running.id))?.status === "RUNNING", 5_000);
    const waiting = await first.enqueue("train-one", { store: 1, productname: "product_A" });
    // A crash: the process is gone without closing its queue (its records say RUNNING and PENDING).
    await new Promise((r) => setTimeout(r, 50));

    const second = await openJobQueue(config, log, db);
    expect(await second.get(finished.id)).toMatchObject({ status: "SUCCEEDED", result: "done" });
    for (const id of [running.id, waiting.id]) {
      expect(await second.get(id)).toMatchObject({ status: "STOPPED", error: INTERRUPTED });
    }
    expect((await second.list({ limit: 10 })).map((j) => j.id)).toEqual(
      expect.arrayContaining([finished.id, running.id, waiting.id]),
    );
    release();
    await Promise.all([first.close(1_000), second.close(0)]);
  });

  it("without a store, the queue forgets what it no longer holds in memory", async () => {
    const q = createInProcessQueue({ keepFinished: 1 });
    await q.startWorkers(handlers({ "ingest-daily": async () => null }));
    const a = await q.enqueue("ingest-daily", {});
    await waitFor("a", async () => (await q.get(a.id))?.status === "SUCCEEDED", 5_000);
    const b = await q.enqueue("ingest-daily", {});
    await waitFor("b", async () => (await q.get(b.id))?.status === "SUCCEEDED", 5_000);
    expect(await q.get(a.id)).toBeNull();
    await q.close(0);
  });
});

describe("a job stopped by its process stopping, not by a cancel", () => {
  it("is marked interrupted (its work may be resumed); a cancelled one is not", async () => {
    const q = createInProcessQueue({ abortGraceMs: 1_000 });
    await q.startWorkers(
      handlers({
        "train-all": (_data, ctx) =>
          new Promise<void>((_, reject) => ctx.signal.addEventListener("abort", () => reject(new Error("aborted")))),
      }),
      { concurrency: 2 },
    );
    const cancelled = await q.enqueue("train-all", {});
    const interrupted = await q.enqueue("train-all", { runKind: "train-weekly" });
    await waitFor("both running", async () => (await q.list()).every((j) => j.status === "RUNNING"), 5_000);
    await q.cancel(cancelled.id);
    await waitFor("the cancel", async () => (await q.get(cancelled.id))?.status === "STOPPED", 5_000);
    await q.close(50);
    const [c, i] = [await q.get(cancelled.id), await q.get(interrupted.id)];
    expect(i).toMatchObject({ status: "STOPPED", error: INTERRUPTED });
    expect(wasInterrupted(i!)).toBe(true);
    expect(c?.status).toBe("STOPPED");
    expect(wasInterrupted(c!)).toBe(false);
  });
});
