/**
 * Crash safety of stream ingestion: the consumer (scripts/consume.ts, a process of its own) is
 * killed with SIGKILL twice while 50,000 records flow through Kafka, and restarted each time. Offsets
 * are committed only after the database commit, so records may be delivered twice but never lost;
 * upserts and the unique rejects index make the second delivery harmless. The proof: every valid
 * record is in rossman_sales exactly once with its values, every invalid one in stream_rejects
 * exactly once. Needs KAFKA_BROKERS and Postgres.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../app/days.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { storedPayload } from "../../app/sales/ingest.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import type { OutgoingMessage } from "../../app/stream/port.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { type SpawnedProcess, spawnScript } from "../support/processes.js";
import { record, uniqueName, waitFor } from "../support/stream-cases.js";

const brokers = process.env.KAFKA_BROKERS?.split(",").map((b) => b.trim());
const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

if (!brokers) {
  console.warn(
    "tests/integration/ingest-crash.test.ts: KAFKA_BROKERS is unset: skipping the crash test " +
      "(start a broker with `export $(bash scripts/start-kafka.sh | tail -n 1)`)",
  );
}

const TOTAL = 50_000;
const STORES = 500;
const today = todayDay();

interface Expected {
  messages: OutgoingMessage[];
  /** `store date` -> [sales, customers] of each valid record (every key is distinct). */
  valid: Map<string, [number, number]>;
  /** The stored payload of each invalid record (each is distinct). */
  invalid: Set<string>;
}

/** A known mix: every 10th record invalid (seven kinds in turn), the rest valid with distinct keys. */
function workload(): Expected {
  const messages: OutgoingMessage[] = [];
  const valid = new Map<string, [number, number]>();
  const invalid = new Set<string>();
  let k = 0;
  for (let i = 0; i < TOTAL; i++) {
    if (i % 10 === 9) {
      const store = (i % STORES) + 1;
      const kinds: (string | Buffer)[] = [
        `broken record #${i}`,
        JSON.stringify(record({ store, sales: -i })),
        JSON.stringify({ store, seq: i }),
        JSON.stringify([i]),
        Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(String(i))]),
        JSON.stringify(record({ store, productname: "", customers: i })),
        JSON.stringify(record({ store, sales: `${i}a` })),
      ];
      const value = kinds[Math.floor(i / 10) % kinds.length]!;
      messages.push({ key: String(store), value });
      invalid.add(storedPayload(typeof value === "string" ? Buffer.from(value) : value));
    } else {
      const store = (k % STORES) + 1;
      const date = formatDay(today - Math.floor(k / STORES));
      const value = record({ store, date, sales: k, customers: k % 1000 });
      messages.push({ key: String(store), value: JSON.stringify(value) });
      valid.set(`${store} ${date}`, [k, k % 1000]);
      k++;
    }
  }
  return { messages, valid, invalid };
}

/** The consumer alone (scripts/consume.ts), as a process the test can SIGKILL. */
const FIRST_BATCH_LINE = "stream: first records ingested";
const startConsumer = (env: Record<string, string>): SpawnedProcess => spawnScript("scripts/consume.ts", env);

describe.skipIf(!brokers)("ingest consumer crash safety", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_crash");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it("SIGKILLed twice while 50,000 records flow: every valid record stored once, every invalid one rejected once", async () => {
    const topic = uniqueName("storecast-crash");
    const groupId = uniqueName("crash-group");
    const env = {
      DATABASE_URL: scratch!.url,
      KAFKA_BROKERS: brokers!.join(","),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: groupId,
      KAFKA_PARTITIONS: "3",
      // A killed member holds its partitions until its session expires: keep that short.
      KAFKA_SESSION_TIMEOUT_MS: "6000",
      LOG_LEVEL: "info",
    };
    const expected = workload();
    const stream = new KafkaStream({ brokers: brokers!, topic });
    await stream.ensureTopic(3);
    const producer = await stream.producer();

    const count = async (table: string) =>
      (await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0]!.n;
    const stored = async () => (await count("rossman_sales")) + (await count("stream_rejects"));

    // Produce at about 2,500 records/s (20 s) in the background, so both kills land mid-stream even
    // when a restarted consumer waits out the killed member's session (6 s).
    let sent = 0;
    const producing = (async () => {
      for (let i = 0; i < TOTAL; i += 250) {
        const started = Date.now();
        await producer.send(expected.messages.slice(i, i + 250));
        sent = Math.min(TOTAL, i + 250);
        await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - started))));
      }
    })();

    const outputs: string[] = [];
    let consumer = startConsumer(env);
    const sentAtKill: number[] = [];
    try {
      for (const threshold of [5_000, 20_000]) {
        await waitFor(`${threshold} records stored`, async () => (await stored()) >= threshold, 60_000);
        // The line comes after the first batch's actuals are scored, which can finish after the rows
        // are counted: a kill between the two would leave a run that did ingest without the line.
        const running = consumer;
        await waitFor("the first-batch log line", async () => running.output().includes(FIRST_BATCH_LINE), 30_000);
        consumer.child.kill("SIGKILL");
        sentAtKill.push(sent);
        await consumer.exited;
        outputs.push(consumer.output());
        consumer = startConsumer(env);
      }
      await producing;
      await waitFor(
        "every record stored",
        async () =>
          (await count("rossman_sales")) >= expected.valid.size &&
          (await count("stream_rejects")) >= expected.invalid.size,
        120_000,
      );
      await waitFor("the group to commit everything", async () => (await stream.lag(groupId)) === 0, 30_000);
      consumer.child.kill("SIGTERM");
      expect(await consumer.exited).toBe(0);
      outputs.push(consumer.output());
      expect(consumer.output()).toContain("consumer stopped cleanly");
    } finally {
      if (consumer.child.exitCode === null) consumer.child.kill("SIGKILL");
      await producing.catch(() => {});
      await producer.close();
      await stream.close();
    }
    // Both kills happened while records were still being produced.
    expect(
      sentAtKill.every((n) => n < TOTAL),
      `sent at the kills: ${sentAtKill.join(", ")}`,
    ).toBe(true);

    const rows = await db.sql.query<{ store: number; date: string; sales: number; customers: number }>(
      "SELECT store, to_char(date, 'YYYY-MM-DD') AS date, sales, customers FROM rossman_sales",
    );
    expect(rows).toHaveLength(expected.valid.size);
    let mismatched = 0;
    for (const r of rows) {
      const want = expected.valid.get(`${r.store} ${r.date}`);
      if (!want || want[0] !== r.sales || want[1] !== r.customers) mismatched++;
    }
    expect(mismatched).toBe(0);

    const rejected = await db.sql.query<{ payload: string; partition: number; offset: string }>(
      `SELECT payload, partition, "offset" FROM stream_rejects`,
    );
    expect(rejected).toHaveLength(expected.invalid.size);
    expect(new Set(rejected.map((r) => `${r.partition}:${r.offset}`)).size).toBe(expected.invalid.size);
    expect(new Set(rejected.map((r) => r.payload))).toEqual(expected.invalid);
    // Each run of the consumer ingested something before it was killed.
    for (const out of outputs) expect(out).toContain(FIRST_BATCH_LINE);
  }, 300_000);
});
