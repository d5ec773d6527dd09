/**
 * Contract suite for the sales stream port and the ingestion on top of it: the same cases run on the
 * in-process stream with PGlite (unit) and on Kafka with Postgres (integration), so the embedded
 * adapter cannot drift from the real one. Every test uses a topic and consumer groups of its own.
 */
import { randomBytes } from "node:crypto";
import kafkajs from "kafkajs";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay, todayDay } from "../../app/days.js";
import type { Database } from "../../app/platform/db.server.js";
import { ingestBatch } from "../../app/sales/ingest.server.js";
import type { SalesRecord } from "../../app/sales/stream-records.js";
import {
  type BatchHandler,
  type ConsumerOptions,
  MessageTooLargeError,
  type OutgoingMessage,
  type SalesStream,
  type StreamBatch,
} from "../../app/stream/port.js";

/** The reference system's record: these fields, in this order (its consumers read them so). */
export const REFERENCE_RECORD_FIELDS = [
  "store",
  "dayofweek",
  "date",
  "sales",
  "customers",
  "open",
  "promo",
  "stateholiday",
  "schoolholiday",
  "productname",
];

export interface StreamContractHarness {
  /** A stream on `topic` (a new name for every test). The suite closes it. */
  openStream(topic: string): SalesStream;
  /** A migrated database; called once. The suite truncates the stream's tables before each test. */
  openDb(): Promise<Database>;
  /** How long a consumer may take to join its group and drain a topic (Kafka: seconds). */
  timeoutMs?: number;
}

export const uniqueName = (prefix: string) => `${prefix}-${randomBytes(5).toString("hex")}`;

export const TODAY = formatDay(todayDay());
export const YESTERDAY = formatDay(todayDay() - 1);

/** A valid record for today (store 1, product_A) with `overrides`. */
export function record(overrides: Partial<Record<keyof SalesRecord, unknown>> = {}): Record<string, unknown> {
  const date = overrides.date ?? TODAY;
  // The weekday of the record's date (the consumer rejects one that does not agree), unless given.
  const day = typeof date === "string" ? parseDay(date) : undefined;
  return {
    store: 1,
    dayofweek: day === undefined ? 1 : isoWeekday(day),
    date,
    sales: 5000,
    customers: 500,
    open: 1,
    promo: 0,
    stateholiday: "0",
    schoolholiday: 0,
    productname: "product_A",
    ...overrides,
  };
}

export const message = (value: Record<string, unknown>, key = String(value.store)): OutgoingMessage => ({
  key,
  value: JSON.stringify(value),
});

const FAST_RETRY = { min: 50, max: 500 };

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The columns streamSales reads back of each stored record. */
export type SalesRecordRow = Pick<SalesRecord, "store" | "productname" | "date" | "dayofweek" | "sales" | "customers">;

export function streamSales(db: Database): Promise<SalesRecordRow[]> {
  return db.sql.query<SalesRecordRow>(
    `SELECT store, productname, to_char(date, 'YYYY-MM-DD') AS date, dayofweek, sales, customers
       FROM rossman_sales ORDER BY store, productname, date`,
  );
}

export interface RejectRow {
  payload: string;
  reason: string;
  topic: string;
  partition: number;
  offset: string;
}

export function rejects(db: Database): Promise<RejectRow[]> {
  return db.sql.query<RejectRow>(
    `SELECT payload, reason, topic, partition, "offset" FROM stream_rejects ORDER BY partition, "offset"::bigint`,
  );
}

/** The partition Kafka's default (murmur2) partitioner picks for `key` among `partitions`. */
export function kafkaPartition(key: string, partitions: number): number {
  const partitionMetadata = Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 0,
    replicas: [0],
    isr: [0],
    partitionErrorCode: 0,
  }));
  return kafkajs.Partitioners.DefaultPartitioner()({ topic: "t", partitionMetadata, message: { key, value: null } });
}

export interface BadInput {
  name: string;
  value: string | Buffer;
  reason: RegExp;
  /** What stream_rejects.payload holds (default: the value as text). */
  stored?: string;
}

const NOT_UTF8 = Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x00, 0x80, 0x22, 0x7d]);
/** Postgres text cannot hold NUL: such a payload is stored as base64. */
const RAW_NUL = '{"store": 2, "productname": "a\u0000b"}'; // a raw NUL inside a JSON string: not JSON
/** A record whose product name makes the message about 1 MB: under the broker's limit (1,048,588 bytes). */
const NEAR_LIMIT = JSON.stringify(record({ store: 2, productname: "" })).length;
const HUGE = JSON.stringify(record({ store: 2, productname: "x".repeat(1_040_000 - NEAR_LIMIT) }));

/** Every kind of bad input the consumer must reject, record, and get past. */
export const BAD_INPUTS: BadInput[] = [
  {
    name: "bytes that are not UTF-8",
    value: NOT_UTF8,
    reason: /^not UTF-8 text$/,
    stored: `base64:${NOT_UTF8.toString("base64")}`,
  },
  { name: "text that is not JSON", value: "store=1;sales=5", reason: /^not JSON: / },
  { name: "truncated JSON", value: '{"store": 1, "sales": ', reason: /^not JSON: / },
  { name: "a JSON array", value: "[1,2,3]", reason: /^expected a JSON object, got an array$/ },
  { name: "a JSON number", value: "42", reason: /^expected a JSON object, got a number \(42\)$/ },
  { name: "JSON null", value: "null", reason: /^expected a JSON object, got null$/ },
  { name: "a JSON string", value: '"sales"', reason: /^expected a JSON object, got a string/ },
  {
    name: "missing fields",
    value: JSON.stringify({ store: 2, productname: "product_A" }),
    reason:
      /^dayofweek: missing; date: missing; sales: missing; customers: missing; open: missing; promo: missing; stateholiday: missing; schoolholiday: missing$/,
  },
  {
    name: 'wrong type ("sales": "12a")',
    value: JSON.stringify(record({ store: 2, sales: "12a" })),
    reason: /^sales: expected a non-negative integer, got "12a"$/,
  },
  {
    name: "sales as an object",
    value: JSON.stringify(record({ store: 2, sales: { n: 1 } })),
    reason: /^sales: expected a non-negative integer, got an object$/,
  },
  {
    name: "negative sales",
    value: JSON.stringify(record({ store: 2, sales: -5 })),
    reason: /^sales: must not be negative, got -5$/,
  },
  {
    name: "fractional customers",
    value: JSON.stringify(record({ store: 2, customers: 3.5 })),
    reason: /^customers: expected a non-negative integer, got 3\.5$/,
  },
  {
    name: "store zero",
    value: JSON.stringify(record({ store: 0 })),
    reason: /^store: expected a positive integer, got 0$/,
  },
  {
    name: "an empty product name",
    value: JSON.stringify(record({ store: 2, productname: "" })),
    reason: /^productname: missing$/,
  },
  {
    // JSON escapes it (\u0000), so the payload is text; Postgres could not store the name itself.
    name: "a product name with a NUL character",
    value: JSON.stringify(record({ store: 2, productname: "a\u0000b" })),
    reason: /^productname: must not contain a NUL character$/,
  },
  {
    name: "text with a raw NUL byte",
    value: RAW_NUL,
    reason: /^not JSON: /,
    stored: `base64:${Buffer.from(RAW_NUL).toString("base64")}`,
  },
  {
    name: "a date that does not exist",
    value: JSON.stringify(record({ store: 2, date: "2015-02-30" })),
    reason: /^date: not a real date "2015-02-30"$/,
  },
  {
    name: "a date in another format",
    value: JSON.stringify(record({ store: 2, date: "31.07.2015" })),
    reason: /^date: expected YYYY-MM-DD/,
  },
  {
    name: "a date two days ahead",
    value: JSON.stringify(record({ store: 2, date: formatDay(todayDay() + 2) })),
    reason: /^date: more than one day in the future/,
  },
  {
    name: "a key the reference shape does not have",
    value: JSON.stringify({ ...record({ store: 2 }), seq: 17 }),
    reason: /^unknown field "seq": a record has exactly store, dayofweek, date, /,
  },
  {
    name: "a weekday that is not the date's",
    value: JSON.stringify(record({ store: 2, date: "2015-07-31", dayofweek: 4 })),
    reason: /^dayofweek: 4 does not match date "2015-07-31", a weekday 5 /,
  },
  {
    name: "a weekday as a word",
    value: JSON.stringify(record({ store: 2, dayofweek: "Friday" })),
    reason: /^dayofweek: expected a weekday 1 \(Monday\) to 7 \(Sunday\), got "Friday"$/,
  },
  {
    name: "open not 0/1",
    value: JSON.stringify(record({ store: 2, open: 2 })),
    reason: /^open: expected 0 or 1, got 2$/,
  },
  {
    name: "promo as a word",
    value: JSON.stringify(record({ store: 2, promo: "yes" })),
    reason: /^promo: expected 0 or 1, got "yes"$/,
  },
  {
    name: "an unknown state holiday",
    value: JSON.stringify(record({ store: 2, stateholiday: "x" })),
    reason: /^stateholiday: expected one of 0, a, b, c, got "x"$/,
  },
  {
    name: "school holiday -1",
    value: JSON.stringify(record({ store: 2, schoolholiday: -1 })),
    reason: /^schoolholiday: expected 0 or 1, got -1$/,
  },
  {
    name: "a message at the broker's size limit (about 1 MB)",
    value: HUGE,
    reason: /^productname: longer than 100 characters \(\d+\)/,
  },
];

const storedOf = (bad: BadInput) =>
  bad.stored ?? (typeof bad.value === "string" ? bad.value : bad.value.toString("utf8"));

export function describeStreamContract(name: string, harness: StreamContractHarness): void {
  describe(name, () => {
    const timeout = harness.timeoutMs ?? 10_000;
    let db: Database;
    const streams: SalesStream[] = [];
    const open = (prefix = "contract") => {
      const s = harness.openStream(uniqueName(`storecast-${prefix}`));
      streams.push(s);
      return s;
    };

    /** Runs a consumer of a new (or the given) group until `expected` messages are committed, then stops it. */
    async function consume(
      stream: SalesStream,
      expected: number,
      handler: BatchHandler,
      opts: ConsumerOptions & { groupId?: string } = {},
    ): Promise<{ groupId: string; committed: number }> {
      const groupId = opts.groupId ?? uniqueName("group");
      let committed = 0;
      const consumer = await stream.consumer(groupId, {
        retryBackoffMs: FAST_RETRY,
        ...opts,
        onCommit: (info) => {
          committed += info.messages;
          opts.onCommit?.(info);
        },
      });
      await consumer.run(handler);
      try {
        await waitFor(`${expected} committed messages (got ${committed})`, () => committed >= expected, timeout);
      } finally {
        await consumer.stop();
      }
      return { groupId, committed };
    }

    const ingest: BatchHandler = async (batch) => {
      await ingestBatch(db, batch);
    };

    beforeAll(async () => {
      db = await harness.openDb();
    });
    afterAll(async () => {
      await db?.close();
    });

    describe("delivery and ingestion", () => {
      beforeEach(async () => {
        await db.sql.exec("TRUNCATE rossman_sales, stores, stream_rejects RESTART IDENTITY");
      });
      afterEach(async () => {
        await Promise.all(streams.splice(0).map((s) => s.close()));
      });

      it("creates the topic with the partitions asked for, once, and sends each key to Kafka's partition for it", async () => {
        const stream = open();
        await stream.ensureTopic(3);
        await stream.ensureTopic(5); // exists: unchanged
        const producer = await stream.producer();
        const keys = Array.from({ length: 30 }, (_, i) => String(i + 1));
        await producer.send(keys.map((k) => message(record({ store: Number(k) }))));
        const seen = new Map<string, number>();
        await consume(stream, keys.length, async (batch) => {
          for (const m of batch.messages) seen.set(m.key!, batch.partition);
        });
        expect(seen.size).toBe(30);
        for (const k of keys) expect(seen.get(k), `key ${k}`).toBe(kafkaPartition(k, 3));
        expect(new Set(seen.values()).size).toBe(3);
      });

      it("keeps each key's records in order, on one partition, with increasing offsets", async () => {
        const stream = open();
        await stream.ensureTopic(3);
        const producer = await stream.producer();
        const keys = ["11", "12", "13", "14", "15", "16"];
        for (let round = 0; round < 10; round++) {
          const batch: OutgoingMessage[] = [];
          for (let i = 0; i < 5; i++) {
            for (const k of keys) batch.push({ key: k, value: JSON.stringify({ k, seq: round * 5 + i }) });
          }
          await producer.send(batch);
        }
        const seen = new Map<string, { seq: number; partition: number }[]>();
        const lastOffset = new Map<number, bigint>();
        await consume(stream, 300, async (batch) => {
          for (const m of batch.messages) {
            const { k, seq } = JSON.parse(m.value!.toString()) as { k: string; seq: number };
            expect(m.key).toBe(k);
            const offset = BigInt(m.offset);
            expect(offset).toBeGreaterThan(lastOffset.get(batch.partition) ?? -1n);
            lastOffset.set(batch.partition, offset);
            seen.set(k, [...(seen.get(k) ?? []), { seq, partition: batch.partition }]);
          }
        });
        for (const k of keys) {
          const list = seen.get(k)!;
          expect(list.map((s) => s.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i));
          expect(new Set(list.map((s) => s.partition)).size).toBe(1);
        }
      });

      it("commits a batch's offsets only after its handler resolved", async () => {
        const stream = open();
        await stream.ensureTopic(1);
        const producer = await stream.producer();
        await producer.send([1, 2, 3].map((store) => message(record({ store }))));
        let release!: () => void;
        const gate = new Promise<void>((r) => {
          release = r;
        });
        let entered = false;
        const groupId = uniqueName("group");
        let committed = 0;
        const consumer = await stream.consumer(groupId, {
          retryBackoffMs: FAST_RETRY,
          onCommit: (i) => {
            committed += i.messages;
          },
        });
        await consumer.run(async (batch) => {
          entered = true;
          await ingestBatch(db, batch);
          await gate;
        });
        try {
          await waitFor("the handler to be called", () => entered, timeout);
          // The rows are written, the handler has not resolved: nothing is committed.
          await new Promise((r) => setTimeout(r, 300));
          expect(committed).toBe(0);
          expect(await consumer.lag()).toBe(3);
          expect(await stream.lag(groupId)).toBe(3);
          release();
          await waitFor("the commit", () => committed === 3, timeout);
          await waitFor("lag 0", async () => (await consumer.lag()) === 0, timeout);
        } finally {
          release();
          await consumer.stop();
        }
        expect(await streamSales(db)).toHaveLength(3);
      });

      it("gives a failing handler the same batch again after a backoff, losing nothing; the effect is applied once", async () => {
        const stream = open();
        await stream.ensureTopic(1);
        const producer = await stream.producer();
        await producer.send([1, 2, 3, 4, 5].map((store) => message(record({ store, sales: store * 100 }))));
        await producer.send([message(record({ store: 1, productname: "" }))]);
        const deliveries: string[][] = [];
        const failedAt: number[] = [];
        let calls = 0;
        await consume(
          stream,
          6,
          async (batch) => {
            deliveries.push(batch.messages.map((m) => m.offset));
            // The write commits, then the handler fails before the offsets could be: the at-least-once window.
            await ingestBatch(db, batch);
            calls++;
            if (calls <= 2) throw new Error(`simulated failure ${calls}`);
          },
          { onHandlerError: (_err, _batch, attempt) => failedAt.push(attempt) },
        );
        expect(failedAt).toEqual([1, 2]);
        // Redelivered from the same place: the failed batch's first offset comes again.
        expect(deliveries[1]![0]).toBe(deliveries[0]![0]);
        expect(deliveries[2]![0]).toBe(deliveries[0]![0]);
        const offsets = new Set(deliveries.flat());
        expect(offsets.size).toBe(6);
        const rows = await streamSales(db);
        expect(rows.map((r) => [r.store, r.sales])).toEqual([
          [1, 100],
          [2, 200],
          [3, 300],
          [4, 400],
          [5, 500],
        ]);
        expect(await rejects(db)).toHaveLength(1);
      });

      it("resumes a group at its committed offset: a new consumer gets only what came after", async () => {
        const stream = open();
        await stream.ensureTopic(2);
        const producer = await stream.producer();
        await producer.send([1, 2, 3, 4].map((store) => message(record({ store }))));
        const { groupId } = await consume(stream, 4, ingest);
        await producer.send([5, 6].map((store) => message(record({ store }))));
        const second: number[] = [];
        await consume(
          stream,
          2,
          async (batch) => {
            for (const m of batch.messages) second.push((JSON.parse(m.value!.toString()) as { store: number }).store);
            await ingestBatch(db, batch);
          },
          { groupId },
        );
        expect(second.sort()).toEqual([5, 6]);
        expect(await stream.lag(groupId)).toBe(0);
      });

      it("is idempotent: another group replaying the whole topic changes no row and adds no reject", async () => {
        const stream = open();
        await stream.ensureTopic(3);
        const producer = await stream.producer();
        const messages: OutgoingMessage[] = [];
        for (let store = 1; store <= 40; store++) {
          messages.push(message(record({ store, sales: store })));
          if (store % 10 === 0) messages.push(message(record({ store, sales: -1 })));
        }
        await producer.send(messages);
        // What the topic holds: a producer retrying a send it timed out on (a loaded machine) may have
        // written a batch twice, and each copy of a bad record is a reject of its own offset.
        const inTopic = await stream.lag(uniqueName("count"));
        expect(inTopic).toBeGreaterThanOrEqual(messages.length);
        await consume(stream, inTopic, ingest);
        const snapshot = async () => ({
          sales: await db.sql.query("SELECT * FROM rossman_sales ORDER BY id"),
          rejects: await db.sql.query<{ payload: string }>("SELECT * FROM stream_rejects ORDER BY id"),
          stores: await db.sql.query("SELECT * FROM stores ORDER BY store"),
        });
        const before = await snapshot();
        expect(before.sales).toHaveLength(40);
        expect(new Set(before.rejects.map((r) => r.payload)).size).toBe(4);
        if (inTopic === messages.length) expect(before.rejects).toHaveLength(4);
        await consume(stream, inTopic, ingest);
        expect(await snapshot()).toEqual(before);
      });

      it("keeps one row for duplicate records, and one reject per bad message", async () => {
        const stream = open();
        await stream.ensureTopic(1);
        const producer = await stream.producer();
        const good = message(record({ store: 7, sales: 700 }));
        const bad = { key: "7", value: "not json" };
        await producer.send([good, bad, good]);
        await producer.send([good, bad]);
        await consume(stream, 5, ingest);
        expect((await streamSales(db)).map((r) => [r.store, r.sales])).toEqual([[7, 700]]);
        const rej = await rejects(db);
        expect(rej.map((r) => r.payload)).toEqual(["not json", "not json"]);
        expect(new Set(rej.map((r) => r.offset)).size).toBe(2);
      });

      it("lets a key's later record win, in a batch and across batches", async () => {
        const stream = open();
        await stream.ensureTopic(2);
        const producer = await stream.producer();
        // In one batch: today's newer figure first, then an older (smaller) one for the same day.
        await producer.send([
          message(record({ store: 3, sales: 900, customers: 90 })),
          message(record({ store: 3, sales: 100, customers: 10 })),
        ]);
        const { groupId } = await consume(stream, 2, ingest);
        expect((await streamSales(db)).map((r) => r.sales)).toEqual([100]);
        // Across batches: yesterday's record after today's adds yesterday's row; a later one for today wins.
        await producer.send([message(record({ store: 3, date: YESTERDAY, sales: 50 }))]);
        await producer.send([message(record({ store: 3, sales: 300, customers: 30 }))]);
        await consume(stream, 2, ingest, { groupId });
        const rows = await streamSales(db);
        expect(rows.map((r) => [r.date, r.sales, r.customers])).toEqual([
          [YESTERDAY, 50, 500],
          [TODAY, 300, 30],
        ]);
      });

      it("keeps each store's newest record when unkeyed records of a day spread over partitions are read as a backlog", async () => {
        const stream = open("unkeyed");
        await stream.ensureTopic(3);
        const producer = await stream.producer();
        // An unkeyed producer (the reference system's) puts a store's records for today on any
        // partition. Here round r of every store goes to partition (r + store) % 3, rounds sent in
        // order, so each store's newest record sits on some partition and older ones on the others.
        const keyFor = (partition: number) => {
          for (let i = 0; ; i++) if (kafkaPartition(`k${i}`, 3) === partition) return `k${i}`;
        };
        const keys = [0, 1, 2].map(keyFor);
        const STORES = 30;
        const ROUNDS = 4;
        for (let round = 0; round < ROUNDS; round++) {
          await producer.send(
            Array.from({ length: STORES }, (_, i) =>
              message(record({ store: i + 1, sales: round * 1000 + i + 1, customers: round }), keys[(round + i) % 3]),
            ),
          );
          // The next round is later by the record clock (milliseconds).
          await new Promise((r) => setTimeout(r, 5));
        }
        // The whole backlog is read only now; partitions are read in turn (in-process) or at once (Kafka).
        await consume(stream, STORES * ROUNDS, ingest);
        const rows = await streamSales(db);
        expect(rows).toHaveLength(STORES);
        const stale = rows.filter((r) => r.sales !== (ROUNDS - 1) * 1000 + r.store);
        expect(stale.map((r) => [r.store, r.sales])).toEqual([]);
      });

      it("accepts a store never seen before and adds it to stores with unknown attributes", async () => {
        const stream = open();
        await stream.ensureTopic(1);
        const producer = await stream.producer();
        await db.sql.exec("INSERT INTO stores (store, store_type, assortment) VALUES (1, 'a', 'b')");
        await producer.send([
          message(record({ store: 1 })),
          message(record({ store: 98765, productname: "product_Z" })),
        ]);
        await consume(stream, 2, ingest);
        expect((await streamSales(db)).map((r) => [r.store, r.productname, r.dayofweek])).toEqual([
          [1, "product_A", new Date(`${TODAY}T00:00:00Z`).getUTCDay() || 7],
          [98765, "product_Z", new Date(`${TODAY}T00:00:00Z`).getUTCDay() || 7],
        ]);
        expect(await db.sql.query("SELECT store, store_type, assortment FROM stores ORDER BY store")).toEqual([
          { store: 1, store_type: "a", assortment: "b" },
          { store: 98765, store_type: null, assortment: null },
        ]);
      });

      it("refuses a message over the broker's size limit at send, and carries on", async () => {
        const stream = open();
        await stream.ensureTopic(1);
        const producer = await stream.producer();
        const tooBig = { key: "1", value: Buffer.alloc(2_000_000, 0x61) };
        await expect(producer.send([tooBig])).rejects.toBeInstanceOf(MessageTooLargeError);
        await producer.send([message(record({ store: 1 }))]);
        await consume(stream, 1, ingest);
        expect(await streamSales(db)).toHaveLength(1);
        expect(await rejects(db)).toHaveLength(0);
      });
    });

    describe("rejects bad input with its payload, reason and source, and never stalls the partition", () => {
      let stream: SalesStream;
      const where = new Map<string, { partition: number; offset: string }>();
      const results: { ingested: number; rejected: number }[] = [];
      let topic = "";

      beforeAll(async () => {
        await db.sql.exec("TRUNCATE rossman_sales, stores, stream_rejects RESTART IDENTITY");
        stream = harness.openStream(uniqueName("storecast-bad"));
        topic = stream.topic;
        await stream.ensureTopic(3);
        const producer = await stream.producer();
        // Each bad message between two good records of the same key (so the same partition): the good
        // record after it must be ingested too.
        let seq = 0;
        for (const bad of BAD_INPUTS) {
          const key = "2";
          await producer.send([
            message(record({ store: 2, sales: ++seq, date: formatDay(todayDay() - seq) }), key),
            { key, value: bad.value },
            message(record({ store: 2, sales: ++seq, date: formatDay(todayDay() - seq) }), key),
          ]);
        }
        await consume(stream, BAD_INPUTS.length * 3, async (batch: StreamBatch) => {
          for (const m of batch.messages) {
            where.set(m.value ? m.value.toString("base64") : "", { partition: batch.partition, offset: m.offset });
          }
          results.push(await ingestBatch(db, batch));
        });
      }, 120_000);
      afterAll(async () => {
        await stream?.close();
      });

      it.each(BAD_INPUTS)("$name", async (bad) => {
        const value = typeof bad.value === "string" ? Buffer.from(bad.value) : bad.value;
        const source = where.get(value.toString("base64"));
        expect(source).toBeDefined();
        const [row] = await db.sql.query<RejectRow>(
          `SELECT payload, reason, topic, partition, "offset" FROM stream_rejects
            WHERE topic = $1 AND partition = $2 AND "offset" = $3`,
          [topic, source!.partition, source!.offset],
        );
        expect(row).toBeDefined();
        expect(row!.reason).toMatch(bad.reason);
        expect(row!.payload === storedOf(bad)).toBe(true);
      });

      it("ingests every good record around them, and writes each reject once", async () => {
        expect(await streamSales(db)).toHaveLength(BAD_INPUTS.length * 2);
        const [n] = await db.sql.query<{ n: number; distinct_offsets: number }>(
          `SELECT count(*)::int AS n, count(DISTINCT (partition, "offset"))::int AS distinct_offsets FROM stream_rejects`,
        );
        expect(n).toEqual({ n: BAD_INPUTS.length, distinct_offsets: BAD_INPUTS.length });
        expect(results.reduce((s, r) => s + r.rejected, 0)).toBe(BAD_INPUTS.length);
      });
    });
  });
}
