import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import type { JobEvent, JobQueue } from "../../app/jobs/port.js";
import { getRun } from "../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { productionVersion } from "../../app/registry/versions.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { uniqueName, waitFor } from "../support/stream-cases.js";

// The production server with REDIS_URL: its jobs go through BullMQ, and a second queue instance
// in this process (another "replica" without workers) enqueues into the same queue.
const redisUrl = process.env.REDIS_URL;
const SMALL_DATA = { GENERATE_STORES: "4", GENERATE_DAYS: "60", GENERATE_SEED: "7" };

describe.runIf(redisUrl)("server with REDIS_URL: jobs through BullMQ", () => {
  const queueName = uniqueName("storecast-it");
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;
  let db: Database;
  let jobs: JobQueue;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_jobs");
    server = await startServer({
      DATABASE_URL: scratch.url,
      DATA_DIR: tempDir("jobs-server"),
      REDIS_URL: redisUrl as string,
      JOB_QUEUE: queueName,
      MODEL_THREADS: "2",
      ...SMALL_DATA,
    });
    db = await openDatabase({ databaseUrl: scratch.url });
    jobs = await createBullmqQueue({ url: redisUrl as string, queueName });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await jobs?.close(0);
    await db?.close();
    const q = new Queue(queueName, { connection: { url: redisUrl as string } });
    await q.obliterate({ force: true }).finally(() => q.close());
    await scratch?.drop();
  });

  it("runs the initial training as a train-all job on the queue", async () => {
    await waitFor("initial training", () => server.output().includes("initial training finished"), 150_000);
    // The other train-all is the weekly schedule's next run, waiting (delayed) in Redis.
    const listed = await jobs.list({ kind: "train-all" });
    expect(listed.find((j) => (j.data as { runKind?: string }).runKind === "train-weekly")?.status).toBe("PENDING");
    const job = listed.find((j) => (j.data as { runKind?: string }).runKind === "train-all");
    expect(job).toMatchObject({ status: "SUCCEEDED", data: { runKind: "train-all" } });
    expect(job?.result).toMatchObject({ status: "SUCCEEDED", trained: 4 });
    const run = await getRun(db, (job?.result as { runId: number } | undefined)?.runId ?? 0);
    expect(run).toMatchObject({ kind: "train-all", status: "SUCCEEDED", jobId: job?.id });
    expect(server.output()).toContain('"queue":"bullmq"');
  });

  it("retrains one series through the queue: enqueued here, run by the server, events seen here", async () => {
    const { id } = await jobs.enqueue(
      "train-one",
      { store: 2, productname: "product_A" },
      { dedupeKey: "train-one:2:product_A" },
    );
    const events: JobEvent[] = [];
    jobs.subscribe(id, (e) => events.push(e));
    await waitFor("the retrain job", async () => (await jobs.get(id))?.status === "SUCCEEDED", 60_000);
    const job = await jobs.get(id);
    expect(job?.result).toMatchObject({ store: 2, modelVersion: 2 });
    expect((await productionVersion(db, 2, "product_A"))?.version).toBe(2);
    const run = await getRun(db, (job?.result as { runId: number } | undefined)?.runId ?? 0);
    expect(run).toMatchObject({ kind: "retrain", status: "SUCCEEDED", jobId: id });
    await waitFor("the SUCCEEDED event", () => events.some((e) => e.status === "SUCCEEDED"), 10_000);
    expect(events.some((e) => e.progress?.done === 1)).toBe(true);
  });

  it("registers the weekly and daily schedules in Redis, and stops cleanly on SIGTERM", async () => {
    const q = new Queue(queueName, { connection: { url: redisUrl as string } });
    try {
      const schedulers = await q.getJobSchedulers();
      expect(schedulers.map((s) => [s.key, s.pattern, s.name]).sort()).toEqual([
        ["anomaly-scan", "0 4 * * *", "anomaly-scan"],
        ["drift-check", "45 0 * * *", "drift-check"],
        ["ingest-daily", "5 0 * * *", "ingest-daily"],
        ["retention", "30 3 * * *", "retention"],
        ["train-weekly", "0 2 * * 1", "train-all"],
      ]);
    } finally {
      await q.close();
    }
    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    expect(server.output()).toContain("stopped cleanly");
  });
});
