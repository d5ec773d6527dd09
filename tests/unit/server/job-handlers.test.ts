import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../../app/days.js";
import { NotFoundError, ValidationError } from "../../../app/errors.js";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import type { JobEvent, JobInfo, JobQueue, JobStatus } from "../../../app/jobs/port.js";
import { createModelPool, type ModelPool } from "../../../app/model/pool.server.js";
import { latestAnomalies } from "../../../app/monitoring/anomalies.server.js";
import { retryPipelineRun } from "../../../app/pipelines/retry.server.js";
import { getRun, listRuns, PipelineRun } from "../../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { productionVersion } from "../../../app/registry/versions.server.js";
import { jobHandlers } from "../../../app/server/job-handlers.server.js";
import { loadGeneratedHistory } from "../../support/generated-history.js";
import { waitFor } from "../../support/stream-cases.js";

const STORES = 3;
const log = pino({ level: "silent" });

describe("job handlers on PGlite with real model threads", () => {
  let db: Database;
  let models: ModelPool;
  let queue: JobQueue;
  let lagFails = false;
  const stream = {
    topic: "sale_rossman_store",
    lag: async () => {
      if (lagFails) throw new Error("broker unreachable");
      return 0;
    },
  };

  const finished = async (id: string, status: JobStatus): Promise<JobInfo> => {
    let info: JobInfo | null = null;
    await waitFor(
      `job ${id} ${status}`,
      async () => {
        info = await queue.get(id);
        return info?.status === status;
      },
      50_000,
    );
    return info as unknown as JobInfo;
  };

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
    models = createModelPool({ threads: 2 });
    await loadGeneratedHistory(db, { stores: STORES, seed: 5, tempPrefix: "jobs" });
    queue = createInProcessQueue({ retryDelayScale: 0.001 });
    await queue.startWorkers(jobHandlers({ db, models, stream, config: { KAFKA_GROUP_ID: "storecast-ingest" }, log }));
  });
  afterAll(async () => {
    await queue?.close(0);
    await models?.close();
    await db?.close();
  });

  it("train-all trains every series with progress, recorded as the run kind the job asks for", async () => {
    const { id } = await queue.enqueue("train-all", { runKind: "train-weekly" });
    const events: JobEvent[] = [];
    queue.subscribe(id, (e) => events.push(e));
    const job = await finished(id, "SUCCEEDED");
    expect(job.result).toMatchObject({ status: "SUCCEEDED", series: STORES, trained: STORES, failed: 0 });
    expect(job.progress).toEqual({ done: STORES, total: STORES });
    expect(events.filter((e) => e.status === "RUNNING" && e.progress).map((e) => e.progress?.done)).toEqual([1, 2, 3]);
    const run = await getRun(db, (job.result as { runId: number }).runId);
    expect(run).toMatchObject({ kind: "train-weekly", status: "SUCCEEDED", jobId: id });
  });

  it("train-one retrains one series, reporting 0/1 then 1/1", async () => {
    const { id } = await queue.enqueue("train-one", { store: 2, productname: "product_A" });
    const progress: string[] = [];
    queue.subscribe(id, (e) => {
      if (e.status === "RUNNING" && e.progress) progress.push(`${e.progress.done}/${e.progress.total}`);
    });
    const job = await finished(id, "SUCCEEDED");
    expect(progress).toEqual(["0/1", "1/1"]);
    expect(job.result).toMatchObject({
      store: 2,
      productname: "product_A",
      modelName: "prophet-retail-forecaster-store-2-product_A",
      modelVersion: 2,
    });
    expect((await productionVersion(db, 2, "product_A"))?.version).toBe(2);
    const run = await getRun(db, (job.result as { runId: number }).runId);
    expect(run).toMatchObject({ kind: "retrain", jobId: id, status: "SUCCEEDED" });
  });

  it("batch-forecast re-forecasts from the production versions without training", async () => {
    const { id } = await queue.enqueue("batch-forecast", {});
    const job = await finished(id, "SUCCEEDED");
    expect(job.result).toMatchObject({
      status: "SUCCEEDED",
      series: STORES,
      forecast: STORES,
      forecastRows: STORES * 7,
    });
    expect((await productionVersion(db, 1, "product_A"))?.version).toBe(1);
    const run = await getRun(db, (job.result as { runId: number }).runId);
    expect(run).toMatchObject({ kind: "batch-forecast", jobId: id, status: "SUCCEEDED" });
  });

  it("ingest-daily records the day's check; daysAgo picks a day relative to today", async () => {
    const { id } = await queue.enqueue("ingest-daily", { daysAgo: 1 });
    const job = await finished(id, "SUCCEEDED");
    expect(job.result).toMatchObject({
      status: "SUCCEEDED",
      day: formatDay(todayDay() - 1),
      stores: STORES,
      consumerLag: 0,
    });
    expect((job.result as { ingested: number }).ingested).toBe(STORES);
  });

  it("retention applies the policy the settings describe, recorded as a retention run with its counts", async () => {
    const { id } = await queue.enqueue("retention", {});
    const job = await finished(id, "SUCCEEDED");
    expect(job.result).toMatchObject({ status: "SUCCEEDED", counts: { modelVersions: 0, pipelineRuns: 0 } });
    const [run] = await listRuns(db, { kind: "retention", limit: 1 });
    expect(run).toMatchObject({ kind: "retention", jobId: id, status: "SUCCEEDED" });
    // No RETENTION_* setting given: the documented defaults.
    expect(run?.params).toMatchObject({ keepVersions: 5, versionDays: 30, runDays: 90, rejectDays: 30 });
    expect(job.progress).toEqual({ done: 5, total: 5 });
  });

  it("anomaly-scan scans the day it is asked for and stores it: the newest scan GET /api/anomalies shows", async () => {
    const { id } = await queue.enqueue("anomaly-scan", { daysAgo: 1 });
    const job = await finished(id, "SUCCEEDED");
    // Three stores are too few peers to compare: scanned, none compared, none flagged.
    expect(job.result).toMatchObject({
      day: formatDay(todayDay() - 1),
      windowDays: 28,
      unpeered: STORES,
      anomalous: 0,
    });
    expect(await latestAnomalies(db)).toMatchObject({ day: formatDay(todayDay() - 1), storesScanned: 0, stores: [] });
  });

  it("a failed ingestion check fails the job after its retries, each attempt a recorded run", async () => {
    lagFails = true;
    try {
      const before = (await listRuns(db, { kind: "ingest-daily" })).length;
      const { id } = await queue.enqueue("ingest-daily", { day: "2026-01-05" });
      const job = await finished(id, "FAILED");
      expect(job.attempts).toBe(3);
      expect(job.error).toMatch(/ingest-daily 2026-01-05 \(run \d+\): broker unreachable/);
      const runs = await listRuns(db, { kind: "ingest-daily" });
      expect(runs.length - before).toBe(3);
      expect(runs[0]).toMatchObject({ status: "FAILED", error: "broker unreachable" });
    } finally {
      lagFails = false;
    }
  });

  it("a train-all yields to another train-all run in progress; once that job is gone it trains", async () => {
    // The other run's job sits in a queue nobody works: PENDING for as long as the test needs.
    const other = createInProcessQueue();
    try {
      const { id: otherJob } = await other.enqueue("train-all", {});
      const run = await PipelineRun.start(db, "train-all", { jobId: otherJob });
      const handlers = jobHandlers({
        db,
        models,
        stream,
        config: { KAFKA_GROUP_ID: "storecast-ingest" },
        log,
        jobs: other,
      });
      const ctx = { id: "weekly-tick", attempt: 1, signal: new AbortController().signal, progress: () => {} };
      expect(await handlers["train-all"]({ runKind: "train-weekly" }, ctx)).toEqual({
        status: "SKIPPED",
        inProgressRunId: run.id,
      });
      expect(await other.cancel(otherJob)).toBe(true);
      expect(await handlers["train-all"]({ runKind: "train-weekly" }, ctx)).toMatchObject({
        status: "SUCCEEDED",
        trained: STORES,
      });
    } finally {
      await other.close(0);
    }
  });
});

describe("retryPipelineRun", () => {
  let db: Database;
  let jobs: JobQueue;

  const run = async (
    kind: Parameters<typeof PipelineRun.start>[1],
    status: "FAILED" | "STOPPED" | "SUCCEEDED",
    params?: unknown,
  ) => {
    const r = await PipelineRun.start(db, kind, { params });
    await r.finish(status, status === "FAILED" ? { error: "boom" } : {});
    return r.id;
  };

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
    jobs = createInProcessQueue(); // no workers: the enqueued jobs stay PENDING to be looked at
  });
  afterAll(async () => {
    await jobs?.close(0);
    await db?.close();
  });

  it.each([
    ["train-all", undefined, "train-all", { runKind: "train-all" }],
    ["train-weekly", undefined, "train-all", { runKind: "train-weekly" }],
    [
      "retrain",
      { store: 262, productname: "product_A", model: "default" },
      "train-one",
      { store: 262, productname: "product_A" },
    ],
    ["batch-forecast", { horizonDays: 7 }, "batch-forecast", {}],
    ["ingest-daily", { day: "2026-01-05", topic: "t", groupId: "g" }, "ingest-daily", { day: "2026-01-05" }],
    ["retention", { keepVersions: 5 }, "retention", {}],
  ] as const)("a failed %s run (params %j) becomes a new %s job", async (kind, params, jobKind, data) => {
    const id = await run(kind, "FAILED", params);
    const { id: jobId, deduplicated } = await retryPipelineRun(db, jobs, id);
    expect(deduplicated).toBe(false);
    expect(await jobs.get(jobId)).toMatchObject({ kind: jobKind, data, status: "PENDING" });
    // Asking again while that job waits returns it.
    expect(await retryPipelineRun(db, jobs, id)).toEqual({ id: jobId, deduplicated: true });
    await jobs.cancel(jobId);
  });

  it("retries a STOPPED run too", async () => {
    const id = await run("train-all", "STOPPED");
    const { id: jobId } = await retryPipelineRun(db, jobs, id);
    expect((await jobs.get(jobId))?.kind).toBe("train-all");
  });

  it("refuses unknown runs, runs that did not fail, and kinds that are not jobs", async () => {
    await expect(retryPipelineRun(db, jobs, 999_999)).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      retryPipelineRun(db, jobs, await run("retrain", "SUCCEEDED", { store: 1, productname: "p" })),
    ).rejects.toThrow(ValidationError);
    await expect(retryPipelineRun(db, jobs, await run("history-load", "FAILED"))).rejects.toThrow(/history-load/);
    await expect(retryPipelineRun(db, jobs, await run("retrain", "FAILED", {}))).rejects.toBeInstanceOf(
      ValidationError,
    );
  });
});
