/**
 * Contract suite for the reads of rejected stream records (app/sales/rejects.server.ts): the same
 * cases on PGlite (unit) and Postgres (integration). Rejects are written by the ingestion itself
 * (one per class), so the class read back from the reason is checked against the class the
 * ingestion gave it; received times are set through the database.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parseDay } from "../../app/days.js";
import type { Database } from "../../app/platform/db.server.js";
import { ingestBatch, type RejectClass } from "../../app/sales/ingest.server.js";
import { PAYLOAD_MAX, PAYLOAD_PREVIEW, pageRejects, rejectsPerDay } from "../../app/sales/rejects.server.js";
import type { StreamBatch } from "../../app/stream/port.js";
import { record } from "./stream-cases.js";

export interface RejectsDatabase {
  db: Database;
  dispose(): Promise<void>;
}

const TODAY = "2024-06-05";
const NOW = Date.parse(`${TODAY}T12:00:00Z`);
const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const good = record({ date: TODAY });
const without = (...keys: string[]) => Object.fromEntries(Object.entries(good).filter(([k]) => !keys.includes(k)));

/** One message of each class the ingestion knows, in REJECT_CLASSES order. */
export const ONE_OF_EACH: [RejectClass, Buffer | null][] = [
  ["empty", null],
  ["not_utf8", Buffer.from([0xff, 0xfe, 0x00])],
  ["not_json", Buffer.from("{not json")],
  ["not_object", Buffer.from("[1,2]")],
  ["missing_field", json(without("sales", "customers"))],
  ["invalid_field", json({ ...good, sales: "lots" })],
  ["unknown_field", json({ ...good, colour: "red" })],
];

const batch = (values: (Buffer | null)[], firstOffset = 0): StreamBatch => ({
  topic: "sales",
  partition: 0,
  messages: values.map((value, i) => ({ key: "1", value, offset: String(firstOffset + i), timestamp: String(NOW) })),
});

export function describeRejectReads(name: string, open: () => Promise<RejectsDatabase>): void {
  describe(`rejected records reads (${name})`, () => {
    let handle: RejectsDatabase;
    let db: Database;
    beforeAll(async () => {
      handle = await open();
      db = handle.db;
    });
    afterAll(async () => {
      await handle?.dispose();
    });
    beforeEach(async () => {
      await db.sql.exec("TRUNCATE stream_rejects RESTART IDENTITY");
    });

    it("reads each reject's class back from its reason, as the ingestion classed it", async () => {
      const r = await ingestBatch(db, batch(ONE_OF_EACH.map(([, v]) => v)), { now: NOW });
      expect(Object.keys(r.rejectedBy).sort()).toEqual(ONE_OF_EACH.map(([c]) => c).sort());
      const page = await pageRejects(db, {});
      expect(page.rejects.map((x) => x.kind)).toEqual(ONE_OF_EACH.map(([c]) => c).reverse());
      // A reason the ingestion never writes is `other`, not silently one of its classes.
      await db.sql.exec(`INSERT INTO stream_rejects (payload, reason) VALUES ('x', 'rejected by hand')`);
      expect((await pageRejects(db, { kind: "other" })).rejects.map((x) => x.reason)).toEqual(["rejected by hand"]);
      for (const [kind] of ONE_OF_EACH) {
        const only = await pageRejects(db, { kind });
        expect(only.rejects.map((x) => x.kind)).toEqual([kind]);
      }
    });

    it("pages newest first by id, the last page saying so", async () => {
      await ingestBatch(db, batch(Array.from({ length: 7 }, (_, i) => Buffer.from(`bad ${i}`))), { now: NOW });
      const first = await pageRejects(db, {}, 3);
      expect(first.rejects.map((x) => x.id)).toEqual([7, 6, 5]);
      expect(first.next).toBe(5);
      const second = await pageRejects(db, { before: first.next! }, 3);
      expect(second.rejects.map((x) => x.id)).toEqual([4, 3, 2]);
      const last = await pageRejects(db, { before: second.next! }, 3);
      expect(last).toMatchObject({ next: null, rejects: [{ id: 1, preview: "bad 0", full: null, offset: "0" }] });
      // A page filled exactly has no next page.
      expect((await pageRejects(db, {}, 7)).next).toBeNull();
    });

    it("filters by day (UTC, both ends inclusive) with the class", async () => {
      await ingestBatch(db, batch([Buffer.from("a"), Buffer.from("b"), Buffer.from("[]"), Buffer.from("c")]), {
        now: NOW,
      });
      await db.sql.exec(`UPDATE stream_rejects SET received_at = CASE id
        WHEN 1 THEN TIMESTAMPTZ '2024-06-01T23:59:59.999Z'
        WHEN 2 THEN TIMESTAMPTZ '2024-06-02T00:00:00Z'
        WHEN 3 THEN TIMESTAMPTZ '2024-06-03T23:59:59.999Z'
        ELSE TIMESTAMPTZ '2024-06-04T00:00:00Z' END`);
      const ids = async (f: Parameters<typeof pageRejects>[1]) => (await pageRejects(db, f)).rejects.map((x) => x.id);
      expect(await ids({ from: "2024-06-02", to: "2024-06-03" })).toEqual([3, 2]);
      expect(await ids({ from: "2024-06-02" })).toEqual([4, 3, 2]);
      expect(await ids({ to: "2024-06-01" })).toEqual([1]);
      expect(await ids({ from: "2024-06-02", to: "2024-06-03", kind: "not_json" })).toEqual([2]);
      expect(await ids({ from: "2024-06-02", to: "2024-06-03", kind: "not_object" })).toEqual([3]);
      expect(await ids({ from: "2024-06-05" })).toEqual([]);
    });

    it("sends a long payload's preview and at most PAYLOAD_MAX characters of it", async () => {
      const long = `<script>${"x".repeat(PAYLOAD_MAX + 100)}`;
      await ingestBatch(db, batch([Buffer.from(long), Buffer.from("y".repeat(PAYLOAD_PREVIEW))]), { now: NOW });
      const [short, big] = (await pageRejects(db, {})).rejects;
      expect(short).toMatchObject({ length: PAYLOAD_PREVIEW, full: null });
      expect(big!.preview).toBe(long.slice(0, PAYLOAD_PREVIEW));
      expect(big!.full).toBe(long.slice(0, PAYLOAD_MAX));
      expect(big!.length).toBe(long.length);
    });

    it("counts rejects per UTC day and class over the last days, every day listed", async () => {
      await ingestBatch(db, batch(ONE_OF_EACH.map(([, v]) => v).concat([Buffer.from("x")])), { now: NOW });
      // not_json twice today; everything else yesterday but one reject 14 days back, outside the window.
      await db.sql.exec(`UPDATE stream_rejects SET received_at = CASE
        WHEN id IN (3, 8) THEN TIMESTAMPTZ '${TODAY}T00:00:00Z'
        WHEN id = 1 THEN TIMESTAMPTZ '${TODAY}T00:00:00Z' - interval '14 days'
        ELSE TIMESTAMPTZ '${TODAY}T00:00:00Z' - interval '1 millisecond' END`);
      const per = await rejectsPerDay(db, { days: 14, now: NOW });
      expect(per.days).toHaveLength(14);
      expect(per.days[0]).toBe("2024-05-23");
      expect(per.days[13]).toBe(TODAY);
      expect(per.counts).toEqual([
        { day: "2024-06-04", kind: "invalid_field", count: 1 },
        { day: "2024-06-04", kind: "missing_field", count: 1 },
        { day: "2024-06-04", kind: "not_object", count: 1 },
        { day: "2024-06-04", kind: "not_utf8", count: 1 },
        { day: "2024-06-04", kind: "unknown_field", count: 1 },
        { day: TODAY, kind: "not_json", count: 2 },
      ]);
      expect(parseDay(per.days[0]!)).toBe(parseDay(TODAY)! - 13);
    });
  });
}
