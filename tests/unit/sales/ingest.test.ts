import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DAY_MS, formatDay, parseDay } from "../../../app/days.js";
import { getRun } from "../../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import {
  dailyIngestionRun,
  ingestBatch,
  parseStreamRecord,
  REJECT_CLASSES,
  storedPayload,
} from "../../../app/sales/ingest.server.js";
import { SALES_UPSERT } from "../../../app/sales/upsert.server.js";
import type { StreamBatch } from "../../../app/stream/port.js";
import { record } from "../../support/stream-cases.js";

const TODAY = "2024-06-05"; // a Wednesday
const today = parseDay(TODAY)!;
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const rec = (o: Record<string, unknown> = {}) => record({ date: TODAY, ...o });

describe("parseStreamRecord", () => {
  it("accepts the reference system's record, its weekday agreeing with the date", () => {
    const r = parseStreamRecord(json(rec({ store: 262, dayofweek: 3, sales: 5263, stateholiday: "a" })), today);
    expect(r).toEqual({
      ok: true,
      row: {
        store: 262,
        productname: "product_A",
        day: today,
        dayofweek: 3,
        sales: 5263,
        customers: 500,
        open: 1,
        promo: 0,
        stateholiday: "a",
        schoolholiday: 0,
      },
    });
  });

  it("accepts numbers written as text (the weekday too) and a 0 state holiday as a number", () => {
    const r = parseStreamRecord(
      json(rec({ store: "7", dayofweek: "3", sales: "12", customers: " 3 ", open: "0", stateholiday: 0 })),
      today,
    );
    expect(r.ok && r.row).toMatchObject({
      store: 7,
      dayofweek: 3,
      sales: 12,
      customers: 3,
      open: 0,
      stateholiday: "0",
    });
  });

  it("has exactly the reference shape: every field required, no other key", () => {
    const { dayofweek: _d, ...withoutWeekday } = rec();
    expect(parseStreamRecord(json(withoutWeekday), today)).toEqual({
      ok: false,
      reason: "dayofweek: missing",
      class: "missing_field",
    });
    expect(parseStreamRecord(json(rec({ extra: true })), today)).toEqual({
      ok: false,
      reason:
        'unknown field "extra": a record has exactly store, dayofweek, date, sales, customers, open, promo, stateholiday, schoolholiday, productname',
      class: "unknown_field",
    });
    const two = parseStreamRecord(json(rec({ Store: 1, seq: 2 })), today);
    expect(!two.ok && two.reason).toMatch(/^unknown fields "Store", "seq": /);
  });

  it.each([
    ["null", null, "dayofweek: missing"],
    ["a name", "Friday", 'dayofweek: expected a weekday 1 (Monday) to 7 (Sunday), got "Friday"'],
    ["a fraction", 5.5, "dayofweek: expected a weekday 1 (Monday) to 7 (Sunday), got 5.5"],
    ["an array", [5], "dayofweek: expected a weekday 1 (Monday) to 7 (Sunday), got an array"],
    ["an object", { day: 5 }, "dayofweek: expected a weekday 1 (Monday) to 7 (Sunday), got an object"],
    ["a boolean", true, "dayofweek: expected a weekday 1 (Monday) to 7 (Sunday), got true"],
    ["out of range", 8, "dayofweek: expected a weekday 1 (Monday) to 7 (Sunday), got 8"],
    [
      "another weekday than the date's",
      5,
      'dayofweek: 5 does not match date "2024-06-05", a weekday 3 (Monday 1 to Sunday 7)',
    ],
  ])("rejects a dayofweek that is %s", (_name, dayofweek, reason) => {
    const r = parseStreamRecord(json(rec({ dayofweek })), today);
    expect(r).toMatchObject({ ok: false, reason });
  });

  it("accepts a record dated tomorrow, and any past date, but not two days ahead", () => {
    expect(parseStreamRecord(json(rec({ date: "2024-06-06" })), today).ok).toBe(true);
    expect(parseStreamRecord(json(rec({ date: "2013-01-01" })), today).ok).toBe(true);
    expect(parseStreamRecord(json(rec({ date: "2024-06-07" })), today)).toEqual({
      ok: false,
      reason: 'date: more than one day in the future, got "2024-06-07" (today is 2024-06-05)',
      class: "invalid_field",
    });
  });

  it.each([
    ["a tombstone (no value)", null, "empty message: no value", "empty"],
    ["an empty value", Buffer.alloc(0), "empty message: no value", "empty"],
    ["bytes that are not UTF-8", Buffer.from([0xc3, 0x28]), "not UTF-8 text", "not_utf8"],
    ["not JSON", Buffer.from("hello"), /^not JSON: Unexpected token/, "not_json"],
    ["a JSON array", Buffer.from("[]"), "expected a JSON object, got an array", "not_object"],
    ["JSON true", Buffer.from("true"), "expected a JSON object, got a boolean (true)", "not_object"],
    ["JSON null", Buffer.from("null"), "expected a JSON object, got null", "not_object"],
    [
      "an empty object",
      Buffer.from("{}"),
      /^store: missing; dayofweek: missing; date: missing; .*productname: missing$/,
      "missing_field",
    ],
    ["sales 12a", json(rec({ sales: "12a" })), 'sales: expected a non-negative integer, got "12a"', "invalid_field"],
    ["sales too large", json(rec({ sales: 2 ** 31 })), "sales: too large (2147483648 > 2147483647)", "invalid_field"],
    [
      "two bad fields",
      json(rec({ sales: -1, productname: " " })),
      "sales: must not be negative, got -1; productname: missing",
      "invalid_field",
    ],
    [
      "a product name over 100 characters",
      json(rec({ productname: "p".repeat(101) })),
      /^productname: longer than 100 characters \(101\)/,
      "invalid_field",
    ],
  ])("rejects %s", (_name, value, reason, cls) => {
    const r = parseStreamRecord(value as Buffer | null, today);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    if (typeof reason === "string") expect(r.reason).toBe(reason);
    else expect(r.reason).toMatch(reason);
    expect(r.class).toBe(cls);
    expect(REJECT_CLASSES).toContain(r.class);
  });

  it("keeps reasons short even for a huge non-JSON payload", () => {
    const r = parseStreamRecord(Buffer.from(`x${"y".repeat(1_000_000)}`), today);
    expect(!r.ok && r.reason.length).toBeLessThanOrEqual(503);
  });
});

describe("storedPayload", () => {
  it("stores UTF-8 text as is, and bytes Postgres text cannot hold as base64", () => {
    expect(storedPayload(Buffer.from('{"a":"é"}'))).toBe('{"a":"é"}');
    expect(storedPayload(Buffer.from([0xff, 0x00]))).toBe("base64:/wA=");
    expect(storedPayload(Buffer.from("a\u0000b"))).toBe(`base64:${Buffer.from("a\u0000b").toString("base64")}`);
    expect(storedPayload(null)).toBe("");
  });
});

describe("ingestBatch and the daily ingestion run (PGlite)", () => {
  let db: Database;
  const now = Date.parse(`${TODAY}T12:00:00Z`);
  const batch = (values: (Buffer | null)[], partition = 0, firstOffset = 0): StreamBatch => ({
    topic: "sales",
    partition,
    messages: values.map((value, i) => ({ key: "1", value, offset: String(firstOffset + i), timestamp: String(now) })),
  });

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => {
    await db?.close();
  });
  beforeEach(async () => {
    await db.sql.exec("TRUNCATE rossman_sales, stores, stream_rejects, pipeline_runs RESTART IDENTITY CASCADE");
  });

  it("writes valid rows and rejects in one go, keeping a key's last record of the batch", async () => {
    const r = await ingestBatch(
      db,
      batch([json(rec({ sales: 1 })), Buffer.from("x"), json(rec({ sales: 2 })), json(rec({ store: 2 }))]),
      { now },
    );
    expect(r).toMatchObject({ ingested: 3, rejected: 1, written: 2, unchanged: 0, rejectedBy: { not_json: 1 } });
    expect(r.keys.map((k) => k.store)).toEqual([1, 2]);
    expect(
      await db.sql.query("SELECT store, sales, to_char(date, 'YYYY-MM-DD') AS date FROM rossman_sales ORDER BY store"),
    ).toEqual([
      { store: 1, sales: 2, date: TODAY },
      { store: 2, sales: 5000, date: TODAY },
    ]);
    const again = await ingestBatch(db, batch([json(rec({ sales: 2 })), Buffer.from("x")], 0, 2), { now });
    // The same record again changes nothing; the bad message at a new offset is a new reject.
    expect(again).toMatchObject({ ingested: 1, written: 1, unchanged: 1, rejected: 1 });
    expect(await db.sql.query('SELECT "offset" FROM stream_rejects ORDER BY id')).toEqual([
      { offset: "1" },
      { offset: "3" },
    ]);
  });

  describe("the newest record wins, whatever the partitioning and the order of arrival", () => {
    /** One message per record: [value, timestamp ms, offset]. */
    const at = (partition: number, ...records: [Buffer, number, number][]): StreamBatch => ({
      topic: "sales",
      partition,
      messages: records.map(([value, ts, offset]) => ({
        key: null,
        value,
        offset: String(offset),
        timestamp: String(ts),
      })),
    });
    const stored = async () =>
      (
        await db.sql.query<{ sales: number; ts: string; part: number; off: string; changed: Date }>(
          `SELECT sales, source_ts::text AS ts, source_partition AS part, source_offset::text AS off, updated_at AS changed
             FROM rossman_sales WHERE store = 1`,
        )
      )[0];

    it("across partitions: a newer record read first is not replaced by an older one read later", async () => {
      // Unkeyed producer: the store's 10:00 record went to partition 1, its 10:05 record to partition 0,
      // and partition 0 is read first (a backlog). Reading order used to decide: the stale 10:00 one won.
      await ingestBatch(db, at(0, [json(rec({ sales: 105 })), now + 300_000, 7]), { now });
      const r = await ingestBatch(db, at(1, [json(rec({ sales: 100 })), now, 40]), { now });
      expect(r).toMatchObject({ written: 1, unchanged: 1 });
      expect(await stored()).toMatchObject({ sales: 105, ts: String(now + 300_000), part: 0, off: "7" });
      // In the other order the newer one replaces the older.
      await ingestBatch(db, at(1, [json(rec({ sales: 110 })), now + 600_000, 41]), { now });
      expect((await stored())?.sales).toBe(110);
    });

    it("within a batch, by timestamp first, whatever the offsets", async () => {
      const r = await ingestBatch(
        db,
        at(
          2,
          [json(rec({ sales: 3 })), now + 3, 10],
          [json(rec({ sales: 1 })), now + 1, 11],
          [json(rec({ sales: 2 })), now + 2, 12],
        ),
        { now },
      );
      expect(r).toMatchObject({ ingested: 3, written: 1 });
      expect(await stored()).toMatchObject({ sales: 3, off: "10" });
    });

    it("on equal timestamps, the higher partition, then the higher offset", async () => {
      await ingestBatch(db, at(1, [json(rec({ sales: 1 })), now, 900]), { now });
      await ingestBatch(db, at(0, [json(rec({ sales: 2 })), now, 999]), { now });
      expect((await stored())?.sales).toBe(1);
      await ingestBatch(db, at(1, [json(rec({ sales: 3 })), now, 901]), { now });
      expect((await stored())?.sales).toBe(3);
    });

    it("a newer record with the same values moves the version, so an older one met later still loses", async () => {
      await ingestBatch(db, at(0, [json(rec({ sales: 1 })), now, 1]), { now });
      const first = await stored();
      await ingestBatch(db, at(1, [json(rec({ sales: 1 })), now + 20, 5]), { now });
      const second = await stored();
      expect(second).toMatchObject({ sales: 1, ts: String(now + 20), part: 1 });
      // The values did not change: updated_at (the overview's "records in the last minute") stays.
      expect(second?.changed).toEqual(first?.changed);
      await ingestBatch(db, at(2, [json(rec({ sales: 9 })), now + 10, 3]), { now });
      expect((await stored())?.sales).toBe(1);
    });

    it("redelivery and replay change nothing; history (no version) gives way to any record, and to a corrected reload", async () => {
      const history = (sales: number) =>
        db.prisma.$executeRawUnsafe(
          SALES_UPSERT,
          "{1}",
          '{"product_A"}',
          `{${today}}`,
          "{3}",
          `{${sales}}`,
          "{500}",
          "{1}",
          "{0}",
          "{0}",
          "{0}",
          "{}",
          "{}",
          "{}",
        );
      expect(await history(50)).toBe(1);
      expect(await history(50)).toBe(0); // the same file again: unchanged
      expect(await history(51)).toBe(1); // a corrected file: history replaces history
      expect((await stored())?.sales).toBe(51);
      const streamed = at(0, [json(rec({ sales: 60 })), now, 3]);
      expect(await ingestBatch(db, streamed, { now })).toMatchObject({ written: 1, unchanged: 0 });
      expect(await ingestBatch(db, streamed, { now })).toMatchObject({ written: 1, unchanged: 1 });
      expect(await history(52)).toBe(0); // a history load never replaces a streamed record
      expect(await stored()).toMatchObject({ sales: 60, ts: String(now), part: 0, off: "3" });
    });
  });

  it("does nothing for an empty batch", async () => {
    expect(await ingestBatch(db, batch([]))).toMatchObject({ ingested: 0, rejected: 0, written: 0 });
  });

  it("records an ingest-daily run: rows of the day, rejects, stores without a record, consumer lag", async () => {
    await db.sql.exec("INSERT INTO stores (store) VALUES (1), (2), (3), (4)");
    await ingestBatch(db, batch([json(rec({ store: 1 })), json(rec({ store: 3 })), Buffer.from("[]")]), { now });
    await ingestBatch(db, batch([json(rec({ store: 2, date: "2024-06-04" }))], 1), { now });
    // A reject received the day before does not count.
    await db.sql.exec(
      `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
       VALUES ('x', 'r', 'sales', 9, '0', TIMESTAMPTZ '${TODAY}T00:00:00Z' - interval '1 second')`,
    );
    await db.sql.exec(`UPDATE stream_rejects SET received_at = TIMESTAMPTZ '${TODAY}T08:00:00Z' WHERE partition = 0`);
    const lags: string[] = [];
    const report = await dailyIngestionRun(
      db,
      {
        topic: "sales",
        lag: async (groupId) => {
          lags.push(groupId);
          return 7;
        },
      },
      { day: TODAY, groupId: "g" },
    );
    expect(report).toMatchObject({
      status: "SUCCEEDED",
      day: TODAY,
      ingested: 2,
      rejected: 1,
      stores: 4,
      storesWithoutRecord: 2,
      storesWithoutRecordSample: [2, 4],
      consumerLag: 7,
    });
    expect(lags).toEqual(["g"]);
    const run = await getRun(db, report.runId);
    expect(run).toMatchObject({
      kind: "ingest-daily",
      status: "SUCCEEDED",
      params: { day: TODAY, topic: "sales", groupId: "g" },
      counts: { day: TODAY, ingested: 2, rejected: 1, storesWithoutRecord: 2, consumerLag: 7 },
      error: null,
    });
    expect(run!.steps.map((s) => s.name)).toEqual([
      "count-ingested",
      "count-rejects",
      "stores-without-record",
      "consumer-lag",
    ]);
  });

  it("fails the run, keeping the counts, when the lag cannot be read", async () => {
    const report = await dailyIngestionRun(
      db,
      {
        topic: "sales",
        lag: async () => {
          throw new Error("Kafka at k:9092: Connection error");
        },
      },
      { day: TODAY },
    );
    expect(report).toMatchObject({ status: "FAILED", consumerLag: null, error: "Kafka at k:9092: Connection error" });
    expect(await getRun(db, report.runId)).toMatchObject({
      status: "FAILED",
      error: "Kafka at k:9092: Connection error",
      counts: { ingested: 0, consumerLag: null },
    });
  });

  it("defaults to today (UTC) and refuses a malformed day", async () => {
    const report = await dailyIngestionRun(db, { topic: "t", lag: async () => 0 });
    expect(report.day).toBe(formatDay(Math.floor(Date.now() / DAY_MS)));
    await expect(dailyIngestionRun(db, { topic: "t", lag: async () => 0 }, { day: "06/05/2024" })).rejects.toThrow(
      /day: expected YYYY-MM-DD/,
    );
  });
});
