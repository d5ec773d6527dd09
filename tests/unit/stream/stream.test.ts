import pino from "pino";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type Config, loadConfig, runsStreamProducer } from "../../../app/platform/config.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { ingestMetrics, registry } from "../../../app/platform/metrics.server.js";
import { InProcessStream } from "../../../app/stream/in-process.server.js";
import { crashReport, KafkaStream } from "../../../app/stream/kafka.server.js";
import { openSalesStream } from "../../../app/stream/open.server.js";
import type { StreamBatch } from "../../../app/stream/port.js";
import { startWorkers } from "../../../workers/index.js";
import { ingestConsumer } from "../../../workers/ingest-consumer.js";
import { streamProducer } from "../../../workers/stream-producer.js";
import {
  describeStreamContract,
  message,
  record,
  streamSales,
  TODAY,
  uniqueName,
  waitFor,
} from "../../support/stream-cases.js";
import { describeStreamStateContract } from "../../support/stream-state-cases.js";

describeStreamContract("sales stream contract: in-process stream, PGlite", {
  openStream: (topic) => new InProcessStream({ topic }),
  openDb: () => openDatabase({ pgliteDir: "memory://" }),
});

describeStreamStateContract("sales stream state contract: in-process stream", {
  openStream: (topic) => new InProcessStream({ topic }),
});

describe("in-process stream", () => {
  it("keeps at most the retention per partition; a group behind it resumes at the oldest message kept", async () => {
    const stream = new InProcessStream({ topic: "t", retention: { maxMessages: 5 } });
    await stream.ensureTopic(1);
    const producer = await stream.producer();
    await producer.send(Array.from({ length: 12 }, (_, i) => ({ key: "k", value: String(i) })));
    expect(stream.offsets()).toEqual([{ partition: 0, low: 7, high: 12 }]);
    expect(await stream.lag("g")).toBe(5);
    const seen: string[] = [];
    const consumer = await stream.consumer("g");
    await consumer.run(async (b) => {
      seen.push(...b.messages.map((m) => `${m.offset}:${m.value}`));
    });
    await waitFor("5 messages", () => seen.length === 5, 2000);
    await consumer.stop();
    expect(seen).toEqual(["7:7", "8:8", "9:9", "10:10", "11:11"]);
    await stream.close();
  });

  it("bounds retention by bytes too, always keeping the newest message", async () => {
    const stream = new InProcessStream({ topic: "t", retention: { maxBytes: 100 } });
    const producer = await stream.producer();
    await producer.send([
      { key: "k", value: "a".repeat(60) },
      { key: "k", value: "b".repeat(60) },
      { key: "k", value: "c".repeat(200) },
    ]);
    expect(stream.offsets()).toEqual([{ partition: 0, low: 2, high: 3 }]);
  });

  it("shares partitions among a group's members: together they get every message once", async () => {
    const stream = new InProcessStream({ topic: "t" });
    await stream.ensureTopic(4);
    const producer = await stream.producer();
    await producer.send(Array.from({ length: 200 }, (_, i) => ({ key: String(i % 37), value: String(i) })));
    const byMember: Map<number, Set<number>> = new Map([
      [0, new Set()],
      [1, new Set()],
    ]);
    const values: string[] = [];
    const members = await Promise.all([stream.consumer("g"), stream.consumer("g")]);
    await Promise.all(
      members.map((c, i) =>
        c.run(async (b: StreamBatch) => {
          byMember.get(i)!.add(b.partition);
          values.push(...b.messages.map((m) => m.value!.toString()));
          await new Promise((r) => setTimeout(r, 5));
        }),
      ),
    );
    await waitFor("200 messages", () => values.length >= 200, 5000);
    await Promise.all(members.map((c) => c.stop()));
    expect(values.sort()).toEqual(Array.from({ length: 200 }, (_, i) => String(i)).sort());
    expect(await stream.lag("g")).toBe(0);
    // Both members worked, on different partitions.
    expect(byMember.get(0)!.size).toBeGreaterThan(0);
    expect(byMember.get(1)!.size).toBeGreaterThan(0);
    expect([...byMember.get(0)!].some((p) => byMember.get(1)!.has(p))).toBe(false);
  });

  it("stops a consumer whose handler keeps failing without committing the batch", async () => {
    const stream = new InProcessStream({ topic: "t" });
    const producer = await stream.producer();
    await producer.send([{ key: "k", value: "x" }]);
    let attempts = 0;
    const consumer = await stream.consumer("g", { retryBackoffMs: { min: 10, max: 20 } });
    await consumer.run(async () => {
      attempts++;
      throw new Error("database down");
    });
    await waitFor("a few attempts", () => attempts >= 3, 2000);
    await consumer.stop();
    expect(await stream.lag("g")).toBe(1);
  });

  it("refuses to send once closed", async () => {
    const stream = new InProcessStream({ topic: "t" });
    const producer = await stream.producer();
    await stream.close();
    await expect(producer.send([{ key: "k", value: "x" }])).rejects.toThrow(/closed/);
  });
});

describe("stream configuration", () => {
  it("defaults to the in-process stream with the producer on", () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      KAFKA_TOPIC: "sale_rossman_store",
      KAFKA_GROUP_ID: "storecast-ingest",
      KAFKA_PARTITIONS: 3,
      STREAM_INTERVAL_MS: 10_000,
    });
    expect(c.KAFKA_BROKERS).toBeUndefined();
    expect(runsStreamProducer(c)).toBe(true);
    expect(openSalesStream(c)).toBeInstanceOf(InProcessStream);
  });

  it("uses Kafka with KAFKA_BROKERS, where the producer is off unless asked for", () => {
    const c = loadConfig({ KAFKA_BROKERS: "127.0.0.1:9092, kafka-2:19092" });
    expect(c.KAFKA_BROKERS).toEqual(["127.0.0.1:9092", "kafka-2:19092"]);
    expect(runsStreamProducer(c)).toBe(false);
    expect(runsStreamProducer(loadConfig({ KAFKA_BROKERS: "k:9092", STREAM_PRODUCER: "true" }))).toBe(true);
    expect(runsStreamProducer(loadConfig({ STREAM_PRODUCER: "false" }))).toBe(false);
    expect(openSalesStream(c)).toBeInstanceOf(KafkaStream);
  });

  it.each([
    ["KAFKA_BROKERS", "localhost", /KAFKA_BROKERS: expected a comma-separated list of host:port/],
    ["KAFKA_BROKERS", "a:1,b", /KAFKA_BROKERS/],
    ["KAFKA_BROKERS", "a:70000", /KAFKA_BROKERS/],
    ["KAFKA_TOPIC", "sales topic", /KAFKA_TOPIC: expected a topic name/],
    ["KAFKA_PARTITIONS", "0", /KAFKA_PARTITIONS: expected an integer from 1 to 1000/],
    ["KAFKA_SESSION_TIMEOUT_MS", "1000", /KAFKA_SESSION_TIMEOUT_MS/],
    ["STREAM_PRODUCER", "sometimes", /STREAM_PRODUCER: expected true or false/],
    ["STREAM_INTERVAL_MS", "-5", /STREAM_INTERVAL_MS/],
  ])("rejects %s=%s with one line naming it", (name, value, pattern) => {
    expect(() => loadConfig({ [name]: value })).toThrow(pattern);
  });
});

describe("ingest consumer and in-process producer services (embedded mode)", () => {
  let db: Database;
  const log = pino({ level: "silent" });
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.sql.exec("TRUNCATE rossman_sales, stores, stream_rejects RESTART IDENTITY");
  });

  const configWith = (env: Record<string, string>): Config => loadConfig({ KAFKA_GROUP_ID: uniqueName("g"), ...env });

  it("ingests what is produced, updates the counters and the lag gauge, and stops cleanly", async () => {
    const config = configWith({});
    const stream = new InProcessStream({ topic: config.KAFKA_TOPIC });
    const ctx = { config, db, log };
    const metric = async (name: string) => (await registry.getSingleMetric(name)!.get()).values;
    const ingestedBefore = (await metric("storecast_stream_records_ingested_total"))[0]?.value ?? 0;
    const notJsonBefore =
      (await metric("storecast_stream_records_rejected_total")).find((v) => v.labels.reason === "not_json")?.value ?? 0;
    const workers = await startWorkers(ctx, [ingestConsumer(ctx, stream, { lagIntervalMs: 20 })]);
    const producer = await stream.producer();
    await producer.send([message(record({ store: 1 })), message(record({ store: 2 })), { key: "3", value: "{" }]);
    await waitFor("2 rows", async () => (await streamSales(db)).length === 2, 5000);
    await waitFor("the reject", async () => (await db.sql.query("SELECT 1 FROM stream_rejects")).length === 1, 5000);
    await waitFor(
      "lag 0 in the gauge",
      async () => (await metric("storecast_stream_consumer_lag"))[0]?.value === 0,
      5000,
    );
    expect((await metric("storecast_stream_records_ingested_total"))[0]?.value).toBe(ingestedBefore + 2);
    expect(
      (await metric("storecast_stream_records_rejected_total")).find((v) => v.labels.reason === "not_json")?.value,
    ).toBe(notJsonBefore + 1);
    const histogram = await registry.getSingleMetricAsString("storecast_stream_batch_duration_seconds");
    expect(histogram).toMatch(/storecast_stream_batch_duration_seconds_count [1-9]/);
    await workers.stop();
    expect(await stream.lag(config.KAFKA_GROUP_ID)).toBe(0);
    await stream.close();
    expect(ingestMetrics.batchFailures).toBeDefined();
  });

  it("runs the producer in-process: today's records from the stream file reach rossman_sales", async () => {
    const { writeFileSync, mkdtempSync, rmSync } = await import("node:fs");
    const path = await import("node:path");
    const { tmpdir } = await import("node:os");
    const dir = mkdtempSync(path.join(tmpdir(), "storecast-producer-"));
    const csv = path.join(dir, "stream.csv");
    writeFileSync(
      csv,
      [
        "Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday",
        "1,5,2015-07-31,5263,555,1,1,0,1",
        "2,5,2015-07-31,6064,625,1,1,0,1",
        "3,5,2015-07-31,8314,821,1,1,0,1",
      ].join("\n"),
    );
    const config = configWith({ STREAM_CSV: csv, STREAM_INTERVAL_MS: "20" });
    const stream = new InProcessStream({ topic: config.KAFKA_TOPIC });
    const ctx = { config, db, log };
    const workers = await startWorkers(ctx, [ingestConsumer(ctx, stream), streamProducer(ctx, stream)]);
    try {
      await waitFor("3 stores with today's row", async () => (await streamSales(db)).length === 3, 5000);
    } finally {
      await workers.stop();
      await stream.close();
      rmSync(dir, { recursive: true, force: true });
    }
    const rows = await streamSales(db);
    expect(rows.map((r) => [r.store, r.date, r.sales])).toEqual([
      [1, TODAY, 5263],
      [2, TODAY, 6064],
      [3, TODAY, 8314],
    ]);
  });

  it("leaves the producer idle, with a warning, when there is no stream file", async () => {
    const lines: string[] = [];
    const warnLog = pino({ level: "warn" }, { write: (l: string) => lines.push(l) });
    const config = configWith({ STREAM_CSV: "/nonexistent/stream.csv" });
    const stream = new InProcessStream({ topic: config.KAFKA_TOPIC });
    const ctx = { config, db, log: warnLog };
    const workers = await startWorkers(ctx, [streamProducer(ctx, stream)]);
    await workers.stop();
    expect(lines.join("")).toMatch(/stream producer not started: stream file \/nonexistent\/stream.csv does not exist/);
    expect(await stream.lag("any")).toBe(0);
  });
});

describe("kafka consumer crashes in the log", () => {
  it("a crash kafkajs restarts itself (a coordinator still loading) is a warning; one that stops the consumer is an error", () => {
    expect(crashReport({ restart: true })).toEqual({
      level: "warn",
      message: "kafka consumer restarting after a transient error",
    });
    expect(crashReport({ restart: false })).toEqual({ level: "error", message: "kafka consumer crashed" });
  });
});
