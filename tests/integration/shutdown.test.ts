/**
 * Graceful shutdown, proved on the real server process: SIGTERM during a train-all (BullMQ on
 * Redis, and the in-process queue) and during stream ingestion (Kafka). The process exits 0; the
 * interrupted work is left resumable (the train-all job back in the queue, its run PENDING; the
 * consumer's offsets committed only for stored records); after a restart the work resumes, and
 * nothing is lost or done twice: every series has exactly one model version from the run, every
 * streamed record is in rossman_sales once. Needs DATABASE_URL (Postgres), REDIS_URL, KAFKA_BROKERS.
 */
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../app/days.js";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import type { JobQueue } from "../../app/jobs/port.js";
import { getRun } from "../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import type { OutgoingMessage } from "../../app/stream/port.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { record, uniqueName, waitFor } from "../support/stream-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
const brokers = process.env.KAFKA_BROKERS;

const SERIES = 60;
const TRAINING = {
  GENERATE_STORES: String(SERIES),
  GENERATE_SEED: "31",
  MODEL_THREADS: "1",
  TRAIN_BATCH_SERIES: "5",
  SHUTDOWN_TIMEOUT_MS: "300",
  SCHEDULES: "false",
  STREAM_PRODUCER: "false",
  LOG_LEVEL: "info",
};

/** Series of the data set with how many versions the run registered for each. */
async function versionsPerSeries(db: Database, runId: number): Promise<number[]> {
  const rows = await db.sql.query<{ n: number }>(
    `SELECT count(v.id)::int AS n
       FROM (SELECT DISTINCT store, productname FROM rossman_sales) s
       LEFT JOIN registered_models m ON m.store = s.store AND m.productname = s.productname
       LEFT JOIN model_versions v ON v.model_id = m.id AND v.pipeline_run_id = $1
      GROUP BY s.store, s.productname`,
    [runId],
  );
  return rows.map((r) => r.n);
}

async function trainAllRun(db: Database): Promise<{ id: number; status: string; progress_done: number } | undefined> {
  const [row] = await db.sql.query<{ id: number; status: string; progress_done: number }>(
    "SELECT id, status, progress_done FROM pipeline_runs WHERE kind = 'train-all' ORDER BY id DESC LIMIT 1",
  );
  return row;
}

async function trainedSoFar(db: Database, runId: number): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM train_series WHERE run_id = $1 AND outcome = 'trained'",
    [runId],
  );
  return row?.n ?? 0;
}

describe.runIf(redisUrl)("SIGTERM during a train-all on BullMQ", () => {
  const queueName = uniqueName("storecast-shutdown");
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let jobs: JobQueue;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_shutdown");
    db = await openDatabase({ databaseUrl: scratch.url });
    jobs = await createBullmqQueue({ url: redisUrl as string, queueName });
  });
  afterAll(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    await jobs?.close(0);
    await db?.close();
    const q = new Queue(queueName, { connection: { url: redisUrl as string } });
    await q.obliterate({ force: true }).finally(() => q.close());
    await scratch?.drop();
  });

  it("the job goes back to the queue and the run waits; after a restart it resumes: every series trained once", async () => {
    const env = {
      ...TRAINING,
      DATABASE_URL: scratch.url,
      DATA_DIR: tempDir("shutdown-bullmq"),
      REDIS_URL: redisUrl as string,
      JOB_QUEUE: queueName,
      AUTO_TRAIN: "false",
    };
    const first = await startServer(env);
    servers.push(first);
    const res = await fetch(`${first.url}/api/train-all`, { method: "POST" });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };
    await waitFor("five series trained", async () => ((await jobs.get(jobId))?.progress?.done ?? 0) >= 5, 120_000);

    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("job handed back to the queue");
    expect(first.output()).toContain("stopped cleanly");

    // Back in the queue, not failed and not finished; the run waits, part of its series trained.
    expect((await jobs.get(jobId))?.status).toBe("PENDING");
    const run = await trainAllRun(db);
    expect(run?.status).toBe("PENDING");
    const before = await trainedSoFar(db, run!.id);
    expect(before).toBeGreaterThanOrEqual(5);
    expect(before).toBeLessThan(SERIES);

    const second = await startServer(env);
    servers.push(second);
    await waitFor("the resumed job", async () => (await jobs.get(jobId))?.status === "SUCCEEDED", 150_000);
    const job = await jobs.get(jobId);
    expect(job?.result).toMatchObject({ runId: run!.id, status: "SUCCEEDED", series: SERIES, trained: SERIES });
    // Both processes trained part of the run (the second one: what the first had not finished).
    const workers = (job?.result as { workers?: Record<string, number> } | undefined)?.workers ?? {};
    expect(Object.keys(workers)).toHaveLength(2);
    expect(Object.values(workers).reduce((a, b) => a + b, 0)).toBe(SERIES);
    expect(await getRun(db, run!.id)).toMatchObject({ status: "SUCCEEDED", jobId, progressDone: SERIES });
    const versions = await versionsPerSeries(db, run!.id);
    expect(versions).toHaveLength(SERIES);
    expect(versions.every((n) => n === 1)).toBe(true);
    const [forecasts] = await db.sql.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM forecast_results WHERE pipeline_run_id = $1",
      [run!.id],
    );
    expect(forecasts?.n).toBe(SERIES * 7);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});

describe("SIGTERM during a train-all on the in-process queue", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_shutdown_local");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    await db?.close();
    await scratch?.drop();
  });

  it("the run is left PENDING; the next start resumes it: every series trained once", async () => {
    // The initial training (AUTO_TRAIN) is the train-all interrupted here.
    const env = { ...TRAINING, DATABASE_URL: scratch.url, DATA_DIR: tempDir("shutdown-local") };
    const first = await startServer(env);
    servers.push(first);
    await waitFor("five series trained", async () => ((await trainAllRun(db))?.progress_done ?? 0) >= 5, 120_000);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain("stopped cleanly");
    const run = await trainAllRun(db);
    expect(run?.status).toBe("PENDING");
    const before = await trainedSoFar(db, run!.id);
    expect(before).toBeLessThan(SERIES);

    const second = await startServer(env);
    servers.push(second);
    await waitFor("the resumed run", async () => (await trainAllRun(db))?.status === "SUCCEEDED", 150_000);
    expect(second.output()).toContain("resuming an interrupted train-all run");
    const after = await trainAllRun(db);
    expect(after?.id).toBe(run!.id); // the same run, not a new one
    const versions = await versionsPerSeries(db, run!.id);
    expect(versions).toHaveLength(SERIES);
    expect(versions.every((n) => n === 1)).toBe(true);
    expect((await getRun(db, run!.id))?.counts).toMatchObject({ trained: SERIES, failed: 0 });
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  });
});

describe.runIf(brokers)("SIGTERM during ingestion from Kafka", () => {
  const TOTAL = 20_000;
  const STORES = 400;
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  const servers: RunningServer[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_shutdown_ingest");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    for (const s of servers) await s.stop("SIGKILL");
    await db?.close();
    await scratch?.drop();
  });

  it("offsets are committed only for stored records; after a restart every record is stored once", async () => {
    const topic = uniqueName("storecast-shutdown");
    const groupId = uniqueName("shutdown-group");
    const env = {
      DATABASE_URL: scratch.url,
      DATA_DIR: tempDir("shutdown-ingest"),
      KAFKA_BROKERS: brokers as string,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      KAFKA_PARTITIONS: "3",
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      AUTO_LOAD_HISTORY: "false",
      AUTO_TRAIN: "false",
      SCHEDULES: "false",
      SHUTDOWN_TIMEOUT_MS: "2000",
      LOG_LEVEL: "info",
    };
    const today = todayDay();
    const messages: OutgoingMessage[] = Array.from({ length: TOTAL }, (_, k) => {
      const store = (k % STORES) + 1;
      const date = formatDay(today - Math.floor(k / STORES));
      return { key: String(store), value: JSON.stringify(record({ store, date, sales: k, customers: k % 1000 })) };
    });
    const stream = new KafkaStream({ brokers: (brokers as string).split(","), topic });
    await stream.ensureTopic(3);
    const producer = await stream.producer();
    const admin = stream.kafka.admin();
    await admin.connect();
    const committed = async () => {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (offsets?.partitions ?? []).reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
    };
    const stored = async () =>
      (await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM rossman_sales"))[0]?.n ?? 0;

    // About 2,000 records/s in the background, so the SIGTERM lands mid-stream.
    let sent = 0;
    const producing = (async () => {
      for (let i = 0; i < TOTAL; i += 200) {
        const started = Date.now();
        await producer.send(messages.slice(i, i + 200));
        sent = Math.min(TOTAL, i + 200);
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
      }
    })();
    try {
      const first = await startServer(env);
      servers.push(first);
      await waitFor("3,000 records stored", async () => (await stored()) >= 3_000, 90_000);
      first.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
      const sentAtStop = sent;
      expect(first.output()).toContain("stopped cleanly");
      // Everything the group committed is stored: a stop never commits ahead of the database.
      const [atStop, storedAtStop] = [await committed(), await stored()];
      expect(atStop).toBeGreaterThan(0);
      expect(atStop).toBeLessThanOrEqual(storedAtStop);
      expect(sentAtStop).toBeLessThan(TOTAL);

      const second = await startServer(env);
      servers.push(second);
      await producing;
      await waitFor("every record stored", async () => (await stored()) >= TOTAL, 120_000);
      await waitFor("the group to commit everything", async () => (await stream.lag(groupId)) === 0, 60_000);
      const rows = await db.sql.query<{ store: number; date: string; sales: number }>(
        "SELECT store, to_char(date, 'YYYY-MM-DD') AS date, sales FROM rossman_sales",
      );
      expect(rows).toHaveLength(TOTAL);
      const wrong = rows.filter((r) => {
        const k = r.sales;
        return r.store !== (k % STORES) + 1 || r.date !== formatDay(today - Math.floor(k / STORES));
      });
      expect(wrong).toHaveLength(0);
      expect(new Set(rows.map((r) => r.sales)).size).toBe(TOTAL);
      second.child.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    } finally {
      await producing.catch(() => {});
      await admin.disconnect();
      await producer.close();
      await stream.close();
    }
  }, 300_000);
});
