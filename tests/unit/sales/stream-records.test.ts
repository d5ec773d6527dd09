import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseDay } from "../../../app/days.js";
import { writeGeneratedData } from "../../../app/sales/generator/csv-files.server.js";
import { parseStreamRecord } from "../../../app/sales/ingest.server.js";
import { injectedAdjuster, produceTodayRecords } from "../../../app/sales/producer.server.js";
import { RowCycle, recordMessage, type SourceRow, todayRecord } from "../../../app/sales/stream-records.js";
import { readStreamSource, StreamSourceError, streamSourceFile } from "../../../app/sales/stream-source.server.js";
import type { OutgoingMessage, StreamProducer } from "../../../app/stream/port.js";
import { runScript, tempDir } from "../../support/processes.js";
import { REFERENCE_RECORD_FIELDS } from "../../support/stream-cases.js";

const row = (store: number, sales = 100): SourceRow => ({
  store,
  productname: "product_A",
  sales,
  customers: 10,
  open: 1,
  promo: 0,
  stateholiday: "0",
  schoolholiday: 1,
});

describe("stream records", () => {
  it("dates a source row today, with today's ISO weekday, in the reference system's shape and field order", () => {
    const day = parseDay("2024-06-02")!; // a Sunday
    const r = todayRecord({ ...row(262, 5263), stateholiday: "a" }, day);
    expect(r).toEqual({
      store: 262,
      dayofweek: 7,
      date: "2024-06-02",
      sales: 5263,
      customers: 10,
      open: 1,
      promo: 0,
      stateholiday: "a",
      schoolholiday: 1,
      productname: "product_A",
    });
    const m = recordMessage(r);
    expect(m.key).toBe("262");
    expect(Object.keys(JSON.parse(m.value))).toEqual(REFERENCE_RECORD_FIELDS);
    // What the producer makes, the consumer accepts as is.
    expect(parseStreamRecord(Buffer.from(m.value), day)).toMatchObject({ ok: true, row: { store: 262, day } });
  });

  it("cycles through the rows in order, from any start", () => {
    const c = new RowCycle(["a", "b", "c"], 4);
    expect(c.index).toBe(1);
    expect(c.take(7)).toEqual(["b", "c", "a", "b", "c", "a", "b"]);
    expect(() => new RowCycle([])).toThrow(RangeError);
  });
});

class FakeProducer implements StreamProducer {
  sends: OutgoingMessage[][] = [];
  failNext = 0;
  async send(messages: OutgoingMessage[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error("broker away");
    }
    this.sends.push(messages);
  }
  async close() {}
}

describe("produceTodayRecords", () => {
  const rows = [row(1), row(2), row(3)];

  it("sends one record per tick at the rate, cycling the rows, dated by the clock", async () => {
    const p = new FakeProducer();
    const started = performance.now();
    const sent = await produceTodayRecords(p, rows, {
      ratePerSecond: 50,
      count: 5,
      now: () => Date.parse("2024-06-02T23:00:00Z"),
    });
    const ms = performance.now() - started;
    expect(sent).toBe(5);
    // Record k is due at k/50 s: the fifth at 80 ms.
    expect(ms).toBeGreaterThanOrEqual(75);
    expect(p.sends.map((s) => s.length)).toEqual([1, 1, 1, 1, 1]);
    const records = p.sends.flat().map((m) => JSON.parse(m.value as string) as { store: number; date: string });
    expect(records.map((r) => r.store)).toEqual([1, 2, 3, 1, 2]);
    expect(new Set(records.map((r) => r.date))).toEqual(new Set(["2024-06-02"]));
  });

  it("injected store events (GENERATE_EVENTS) go on in the streamed days: only the chosen stores, from their day on", async () => {
    const config = {
      GENERATE_EVENTS: JSON.stringify([
        { kind: "weekday", factors: "saturday-to-monday", stores: [2], from: "2024-06-01" },
        { kind: "level", factor: 0.5, stores: [3], from: "2024-06-10" },
      ]),
      GENERATE_STORES: 5,
      GENERATE_SEED: 1,
    };
    const adjust = injectedAdjuster(config, parseDay("2024-06-01")!)!;
    const sendOn = async (date: string) => {
      const p = new FakeProducer();
      await produceTodayRecords(p, rows, {
        ratePerSecond: 100_000,
        count: 3,
        adjust,
        now: () => Date.parse(`${date}T12:00:00Z`),
      });
      return p.sends.flat().map((m) => JSON.parse(m.value as string) as { store: number; sales: number });
    };
    // 2024-06-01 is a Saturday, 06-03 a Monday, 06-04 a Tuesday: store 2's Saturday falls, its Monday rises.
    expect((await sendOn("2024-06-01")).map((r) => r.sales)).toEqual([100, 40, 100]);
    expect((await sendOn("2024-06-03")).map((r) => r.sales)).toEqual([100, 145, 100]);
    expect((await sendOn("2024-06-04")).map((r) => r.sales)).toEqual([100, 100, 100]);
    // Store 3's level shift starts on 06-10.
    expect((await sendOn("2024-06-11")).map((r) => r.sales)).toEqual([100, 100, 50]);
    expect(injectedAdjuster({ GENERATE_STORES: 5, GENERATE_SEED: 1 })).toBeUndefined();
    expect(() => injectedAdjuster({ ...config, GENERATE_EVENTS: "[{}]" })).toThrow(/GENERATE_EVENTS\[0\]/);
  });

  it("sends in chunks at a fast rate, and retries a failed send with the same records", async () => {
    const p = new FakeProducer();
    p.failNext = 2;
    const errors: unknown[] = [];
    const sent = await produceTodayRecords(p, rows, {
      ratePerSecond: 100_000,
      count: 2500,
      maxChunk: 1000,
      retryMs: 5,
      onError: (e) => errors.push(e),
    });
    expect(sent).toBe(2500);
    expect(errors).toHaveLength(2);
    expect(p.sends.flat()).toHaveLength(2500);
    expect(Math.max(...p.sends.map((s) => s.length))).toBeLessThanOrEqual(1000);
    expect(p.sends.flat().map((m) => m.key)).toEqual(Array.from({ length: 2500 }, (_, i) => String((i % 3) + 1)));
  });

  it("stops when aborted, even while waiting for the next tick", async () => {
    const p = new FakeProducer();
    const abort = new AbortController();
    const done = produceTodayRecords(p, rows, { ratePerSecond: 0.1, signal: abort.signal });
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    abort.abort();
    expect(await done).toBe(1);
    expect(performance.now() - started).toBeLessThan(100);
  });

  it("refuses a rate of zero", async () => {
    await expect(produceTodayRecords(new FakeProducer(), rows, { ratePerSecond: 0 })).rejects.toThrow(RangeError);
  });
});

describe("readStreamSource", () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir("stream-source");
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const file = (name: string, lines: string[]) => {
    const f = path.join(dir, name);
    writeFileSync(f, `${lines.join("\n")}\n`);
    return f;
  };

  it("reads the generated stream file: the newest 10 days, in file order", async () => {
    const generated = await writeGeneratedData({
      stores: 3,
      products: 2,
      days: 40,
      endDate: "2024-06-10",
      seed: 1,
      outDir: dir,
    });
    const source = await readStreamSource(generated.streamCsv);
    expect(source).toMatchObject({ rowsRead: 60, rowsSkipped: 0, from: "2024-06-01", to: "2024-06-10" });
    expect(source.rows).toHaveLength(60);
    expect(new Set(source.rows.map((r) => r.productname))).toEqual(new Set(["product_A", "product_B"]));
    expect(streamSourceFile({ DATA_DIR: "/d" })).toBe("/d/generated/train_only_last_10d.csv");
    expect(streamSourceFile({ DATA_DIR: "/d", STREAM_CSV: "/x.csv" })).toBe("/x.csv");
  });

  it("keeps only the newest 10 days of a longer file, skips bad rows, and names the default product", async () => {
    const lines = ["Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday"];
    for (let d = 1; d <= 20; d++) lines.push(`1,1,2015-07-${String(d).padStart(2, "0")},${d},1,1,0,0,0`);
    lines.push("2,1,2015-07-20,12a,1,1,0,0,0");
    const source = await readStreamSource(file("long.csv", lines));
    expect(source).toMatchObject({ rowsRead: 20, rowsSkipped: 1, from: "2015-07-11", to: "2015-07-20" });
    expect(source.rows.map((r) => r.sales)).toEqual([11, 12, 13, 14, 15, 16, 17, 18, 19, 20]);
    expect(source.rows[0]!.productname).toBe("product_A");
  });

  it("explains a missing file, missing columns and a file without valid rows", async () => {
    await expect(readStreamSource(path.join(dir, "nope.csv"))).rejects.toThrow(
      /stream file .*nope\.csv does not exist/,
    );
    await expect(readStreamSource(file("cols.csv", ["Store,Date", "1,2015-07-31"]))).rejects.toThrow(
      /missing columns Sales, Customers, Open, Promo, StateHoliday, SchoolHoliday/,
    );
    await expect(
      readStreamSource(
        file("bad.csv", [
          "Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday",
          "x,1,2,3,4,5,6,7,8",
        ]),
      ),
    ).rejects.toBeInstanceOf(StreamSourceError);
  });
});

describe("npm run producer (scripts/producer.ts) without Kafka", () => {
  it("exits 1 with one line when KAFKA_BROKERS is unset", async () => {
    const run = await runScript("scripts/producer.ts", ["--count", "1"]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(
      "producer: KAFKA_BROKERS is not set: the producer streams to Kafka (without Kafka, `npm start` runs it in-process)",
    );
  });

  it("exits 1 with one line for a bad option", async () => {
    const run = await runScript("scripts/producer.ts", ["--rate", "0"], { KAFKA_BROKERS: "127.0.0.1:1" });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--rate.*expected records per second/);
  });

  it("exits 1 with one line when the stream file is missing", async () => {
    const run = await runScript("scripts/producer.ts", ["--count", "1"], {
      KAFKA_BROKERS: "127.0.0.1:1",
      DATA_DIR: "/nonexistent",
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(
      /^producer: stream file \/nonexistent\/generated\/train_only_last_10d\.csv does not exist: run `npm start` once/,
    );
  });
});
