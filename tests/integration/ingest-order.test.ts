/**
 * The reference system's producer sends records without a key, so one store's records for today land
 * on different partitions, and a consumer working through a backlog reads its partitions at once.
 * Here: a backlog of unkeyed records (eight rounds of every store, later rounds later in time) on a
 * 4-partition topic, read by a consumer process (scripts/consume.ts, every partition at once) that is
 * SIGKILLed as soon as it has written anything and started again. Every store must end with its
 * newest record; reading order used to decide (596-672 of 1,115 stores kept a stale one). Needs
 * KAFKA_BROKERS and Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { spawnScript } from "../support/processes.js";
import { record, uniqueName, waitFor } from "../support/stream-cases.js";

const brokers = process.env.KAFKA_BROKERS?.split(",").map((b) => b.trim());
const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

const STORES = 400;
const ROUNDS = 8;
const PARTITIONS = 4;

describe.skipIf(!brokers)("ingestion order with an unkeyed producer", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_order");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it("every store keeps its newest record after a backlog read on every partition at once, with a kill", async () => {
    const topic = uniqueName("storecast-unkeyed");
    const groupId = uniqueName("unkeyed-group");
    const stream = new KafkaStream({ brokers: brokers!, topic });
    await stream.ensureTopic(PARTITIONS);
    // kafkajs's own producer, so the messages carry no key at all (as kafka-python sends them).
    const producer = stream.kafka.producer();
    await producer.connect();
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const messages = Array.from({ length: STORES }, (_, i) => ({
          value: JSON.stringify(record({ store: i + 1, sales: round * 10_000 + i + 1, customers: round })),
        }));
        // Spread over the partitions whatever the partitioner does with a null key.
        await producer.send({
          topic,
          messages: messages.map((m, i) => ({ ...m, partition: (i * 7 + round * 3) % PARTITIONS })),
        });
        await new Promise((r) => setTimeout(r, 5)); // the next round is later by the record clock
      }
    } finally {
      await producer.disconnect();
    }
    const env = {
      DATABASE_URL: scratch!.url,
      KAFKA_BROKERS: brokers!.join(","),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      KAFKA_PARTITIONS: String(PARTITIONS),
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      LOG_LEVEL: "info",
    };
    const rows = async () => (await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM rossman_sales"))[0]!.n;
    let consumer = spawnScript("scripts/consume.ts", env);
    try {
      await waitFor("the first rows", async () => (await rows()) > 0, 60_000);
      consumer.child.kill("SIGKILL");
      await consumer.exited;
      const atKill = await rows();
      consumer = spawnScript("scripts/consume.ts", env);
      await waitFor("the backlog drained", async () => (await stream.lag(groupId)) === 0, 120_000);
      consumer.child.kill("SIGTERM");
      expect(await consumer.exited).toBe(0);
      console.info(
        `unkeyed backlog: ${STORES * ROUNDS} records on ${PARTITIONS} partitions; ${atKill} rows at the kill`,
      );
    } finally {
      if (consumer.child.exitCode === null) consumer.child.kill("SIGKILL");
      await stream.close();
    }
    const stored = await db.sql.query<{ store: number; sales: number; customers: number }>(
      "SELECT store, sales, customers FROM rossman_sales ORDER BY store",
    );
    expect(stored).toHaveLength(STORES);
    const stale = stored.filter((r) => r.customers !== ROUNDS - 1 || r.sales !== (ROUNDS - 1) * 10_000 + r.store);
    expect(stale.map((r) => `store ${r.store}: round ${r.customers}`)).toEqual([]);
  }, 240_000);
});
