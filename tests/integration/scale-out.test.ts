/**
 * Scale-out, shown: two replicas of the server (two processes) against the same Postgres, Kafka
 * topic and consumer group, and BullMQ queue. They split the topic's partitions (each ingests
 * records) and the training of one train-all (each trains series); the registry proves every series
 * was trained exactly once by that run. Needs DATABASE_URL, REDIS_URL and KAFKA_BROKERS.
 */
import { Queue } from "bullmq";
import kafkajs from "kafkajs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { record, uniqueName, waitFor } from "../support/stream-cases.js";

const redisUrl = process.env.REDIS_URL;
const brokers = process.env.KAFKA_BROKERS;
const SERIES = 80;
const PARTITIONS = 4;
const RECORDS = 2_000;

interface JobView {
  status: string;
  result?: { runId: number; status: string; series: number; trained: number; workers: Record<string, number> };
}

describe.runIf(redisUrl && brokers)("two replicas share the stream and the training", () => {
  const queueName = uniqueName("storecast-scale");
  const topic = uniqueName("storecast-scale");
  const groupId = uniqueName("scale-group");
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let stream: KafkaStream;
  let a: RunningServer;
  let b: RunningServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_scale");
    db = await openDatabase({ databaseUrl: scratch.url });
    stream = new KafkaStream({ brokers: (brokers as string).split(","), topic });
    const env = {
      DATABASE_URL: scratch.url,
      REDIS_URL: redisUrl as string,
      JOB_QUEUE: queueName,
      KAFKA_BROKERS: brokers as string,
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      KAFKA_PARTITIONS: String(PARTITIONS),
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      GENERATE_STORES: String(SERIES),
      GENERATE_SEED: "41",
      MODEL_THREADS: "1",
      TRAIN_BATCH_SERIES: "4",
      AUTO_TRAIN: "false",
      SCHEDULES: "false",
      LOG_LEVEL: "info",
    };
    // The first replica loads the history; the second finds it there.
    a = await startServer({ ...env, DATA_DIR: tempDir("scale-a") });
    b = await startServer({ ...env, DATA_DIR: tempDir("scale-b") });
  });
  afterAll(async () => {
    await a?.stop("SIGKILL");
    await b?.stop("SIGKILL");
    await stream?.close();
    await db?.close();
    const q = new Queue(queueName, { connection: { url: redisUrl as string } });
    await q.obliterate({ force: true }).finally(() => q.close());
    await scratch?.drop();
  });

  it("both replicas are ready: database, Redis and Kafka checked", async () => {
    for (const replica of [a, b]) {
      const res = await fetch(`${replica.url}/readyz`);
      const body = (await res.json()) as { status: string; checks: Record<string, { ok: boolean }> };
      expect(res.status).toBe(200);
      expect(body.status).toBe("ready");
      expect(Object.keys(body.checks).sort()).toEqual(["database", "kafka", "migrations", "redis", "services"]);
      expect(body.checks.services?.ok).toBe(true);
    }
  });

  it("the consumer group spreads the partitions over both replicas, and both ingest records", async () => {
    const admin = stream.kafka.admin();
    await admin.connect();
    try {
      let owned: number[] = [];
      await waitFor(
        "both replicas to hold partitions",
        async () => {
          const { groups } = await admin.describeGroups([groupId]);
          const members = groups[0]?.members ?? [];
          owned = members.map((m) => {
            const assignment = kafkajs.AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
            return Object.values(assignment?.assignment ?? {}).reduce((n, ps) => n + ps.length, 0);
          });
          return groups[0]?.state === "Stable" && owned.length === 2 && owned.every((n) => n > 0);
        },
        60_000,
      );
      expect(owned.reduce((x, y) => x + y, 0)).toBe(PARTITIONS);
    } finally {
      await admin.disconnect();
    }
    const producer = await stream.producer();
    const before = (await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM rossman_sales"))[0]!.n;
    // New products, so each record is a new row: the count shows every record arrived.
    await producer.send(
      Array.from({ length: RECORDS }, (_, i) => {
        const store = (i % SERIES) + 1;
        return { key: String(store), value: JSON.stringify(record({ store, productname: `scale_${i}` })) };
      }),
    );
    await producer.close();
    await waitFor(
      "every record stored",
      async () =>
        (await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM rossman_sales"))[0]!.n === before + RECORDS,
      60_000,
    );
    // The new one-day series have too little history to train: drop them before the training case
    // (first, so a failure below does not leave them to fail that case too).
    await db.sql.query("DELETE FROM rossman_sales WHERE productname LIKE 'scale\\_%'");
    // A replica logs its first batch once the batch's actuals are scored too, which may come after
    // its rows are in (the count above): wait for the line rather than read it at once.
    await waitFor(
      "both replicas to log their first batch",
      async () => [a, b].every((replica) => replica.output().includes("stream: first records ingested")),
      30_000,
    );
  });

  it("one train-all is trained by both replicas, every series exactly once", async () => {
    const res = await fetch(`${a.url}/api/train-all`, { method: "POST" });
    expect(res.status).toBe(202);
    const { job_id: jobId } = (await res.json()) as { job_id: string };
    let job: JobView | undefined;
    // Followed through the other replica: the job's state is in Redis.
    await waitFor(
      "the train-all to finish",
      async () => {
        job = (await (await fetch(`${b.url}/api/jobs/${jobId}`)).json()) as JobView;
        return job.status === "SUCCEEDED" || job.status === "FAILED";
      },
      150_000,
    );
    expect(job?.result).toMatchObject({ status: "SUCCEEDED", series: SERIES, trained: SERIES });
    const workers = Object.entries(job!.result!.workers);
    console.info(`series trained per replica: ${JSON.stringify(job!.result!.workers)}`);
    expect(workers).toHaveLength(2);
    for (const [, n] of workers) expect(n).toBeGreaterThan(0);
    expect(workers.reduce((n, [, k]) => n + k, 0)).toBe(SERIES);
    for (const replica of [a, b]) expect(replica.output()).toMatch(/train-all helper finished|train-all finished/);

    // The registry: one version per series from this run, and no series without one.
    const runId = job!.result!.runId;
    const [counts] = await db.sql.query<{ versions: number; models: number; series: number }>(
      `SELECT (SELECT count(*)::int FROM model_versions WHERE pipeline_run_id = $1) AS versions,
              (SELECT count(DISTINCT model_id)::int FROM model_versions WHERE pipeline_run_id = $1) AS models,
              (SELECT count(*)::int FROM (SELECT DISTINCT store, productname FROM rossman_sales) s) AS series`,
      [runId],
    );
    expect(counts).toEqual({ versions: SERIES, models: SERIES, series: SERIES });
  });

  it("both replicas stop cleanly on SIGTERM", async () => {
    a.child.kill("SIGTERM");
    b.child.kill("SIGTERM");
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
  });
});
