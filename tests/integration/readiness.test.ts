/**
 * Readiness failure paths against real services: a Kafka that cannot be reached and a Redis
 * connection that is gone make /readyz's checks fail (bounded in time), naming what failed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { checkReadiness } from "../../app/server/readiness.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { freePort } from "../support/processes.js";
import { uniqueName } from "../support/stream-cases.js";

const redisUrl = process.env.REDIS_URL;
const brokers = process.env.KAFKA_BROKERS;

describe("readiness on Postgres with Redis and Kafka", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_ready");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it.runIf(redisUrl && brokers)("checks Redis and Kafka when configured", async () => {
    const jobs = await createBullmqQueue({ url: redisUrl as string, queueName: uniqueName("ready") });
    const stream = new KafkaStream({ brokers: (brokers as string).split(","), topic: uniqueName("ready") });
    try {
      await stream.ensureTopic(1);
      const r = await checkReadiness({ db, jobs, stream, groupId: uniqueName("ready-group") });
      expect(r.checks).toMatchObject({
        database: { ok: true },
        migrations: { ok: true },
        redis: { ok: true },
        kafka: { ok: true, detail: "consumer lag 0" },
      });
      expect(r.ready).toBe(true);
    } finally {
      await jobs.close(0);
      await stream.close();
    }
  });

  it.runIf(redisUrl)("a Kafka nobody answers on and a closed Redis connection: not ready, each named", async () => {
    const jobs = await createBullmqQueue({ url: redisUrl as string, queueName: uniqueName("ready") });
    await jobs.close(0);
    const stream = new KafkaStream({ brokers: [`127.0.0.1:${await freePort()}`], topic: "nowhere" });
    try {
      const r = await checkReadiness({ db, jobs, stream }, 2_000);
      expect(r.ready).toBe(false);
      expect(r.checks.database?.ok).toBe(true);
      expect(r.checks.redis).toMatchObject({ ok: false });
      expect(r.checks.redis?.detail).toMatch(/closed/);
      expect(r.checks.kafka?.ok).toBe(false);
      expect(r.checks.kafka?.detail).toMatch(/Kafka/);
    } finally {
      await stream.close().catch(() => {});
    }
  });
});
