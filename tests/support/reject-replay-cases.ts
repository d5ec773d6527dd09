/**
 * Contract suite for replaying rejects (app/sales/reject-replay.server.ts) on PGlite (unit) and
 * Postgres (integration): a reject the rules accept now is ingested once however often (and however
 * concurrently) it is replayed, and its row goes; one they still refuse stays with its reason.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../app/days.js";
import type { Database } from "../../app/platform/db.server.js";
import { ingestBatch } from "../../app/sales/ingest.server.js";
import { type ReplayOutcome, replayMatching, replayRejects } from "../../app/sales/reject-replay.server.js";
import type { StreamBatch } from "../../app/stream/port.js";
import type { RejectsDatabase } from "./rejects-cases.js";
import { record, waitFor } from "./stream-cases.js";

const NOW = Date.now();
const TODAY = formatDay(todayDay(NOW));
const DAY_MS = 86_400_000;

const batch = (values: (string | null)[], firstOffset: number, timestamp = String(NOW)): StreamBatch => ({
  topic: "sales",
  partition: 0,
  messages: values.map((v, i) => ({
    key: "1",
    value: v === null ? null : Buffer.from(v),
    offset: String(firstOffset + i),
    timestamp,
  })),
});

/** A reject as an older rule wrote it: a payload today's rules accept, refused for a reason they no longer give. */
async function oldRuleReject(db: Database, payload: string, offset: number): Promise<number> {
  const [row] = await db.sql.query<{ id: number }>(
    `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset")
     VALUES ($1, 'productname: longer than 8 characters', 'sales', 1, $2) RETURNING id`,
    [payload, String(offset)],
  );
  return row!.id;
}

const sales = (db: Database) =>
  db.sql.query<{ store: number; productname: string; sales: number; updated_at: Date }>(
    "SELECT store, productname, sales, updated_at FROM rossman_sales ORDER BY store, productname",
  );
async function rejectIds(db: Database): Promise<[number, string][]> {
  const rows = await db.sql.query<{ id: number; reason: string }>("SELECT id, reason FROM stream_rejects ORDER BY id");
  return rows.map((r) => [r.id, r.reason]);
}

export function describeRejectReplay(name: string, open: () => Promise<RejectsDatabase>): void {
  describe(`replaying rejects (${name})`, () => {
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
      await db.sql.exec("TRUNCATE stream_rejects, rossman_sales, stores RESTART IDENTITY");
    });

    it("ingests a reject that passes now once, however often it is replayed; one that still fails stays with its reason", async () => {
      const passes = await oldRuleReject(
        db,
        JSON.stringify(record({ store: 7, productname: "product_long_name", sales: 4321 })),
        10,
      );
      await ingestBatch(db, batch(["{not json"], 11), { now: NOW });
      const [fails, reason] = (await rejectIds(db)).find(([id]) => id !== passes)!;
      expect(reason).toMatch(/^not JSON: /);

      const first = await replayRejects(db, [passes, fails]);
      expect(first.replayed).toEqual([{ id: passes, topic: "sales", partition: 1, offset: "10" }]);
      expect(first.stillFailing).toEqual([{ id: fails, reason }]);
      expect(first.keys).toEqual([{ store: 7, productname: "product_long_name", day: todayDay(NOW) }]);
      const stored = await sales(db);
      expect(stored.map((r) => [r.store, r.productname, r.sales])).toEqual([[7, "product_long_name", 4321]]);
      expect(await rejectIds(db)).toEqual([[fails, reason]]);

      const second = await replayRejects(db, [passes, fails]);
      expect(second.replayed).toEqual([]);
      expect(second.stillFailing).toEqual([{ id: fails, reason }]);
      expect(await sales(db)).toEqual(stored);
      expect(await rejectIds(db)).toEqual([[fails, reason]]);
    });

    it("replays a reject once when two replays of it race", async () => {
      const id = await oldRuleReject(db, JSON.stringify(record({ store: 3, productname: "product_racing" })), 20);
      const results = await Promise.all([replayRejects(db, [id]), replayRejects(db, [id]), replayRejects(db, [id])]);
      expect(results.flatMap((r) => r.replayed.map((x) => x.id))).toEqual([id]);
      expect(await sales(db)).toHaveLength(1);
      expect(await rejectIds(db)).toEqual([]);
    });

    it("waits for a replay holding the reject, then finds it gone: nothing is written twice", async () => {
      const id = await oldRuleReject(db, JSON.stringify(record({ store: 6, productname: "product_held" })), 25);
      let replay!: Promise<ReplayOutcome>;
      await db.prisma.$transaction(async (tx) => {
        // Another replay's first step: the reject locked; it is deleted before that replay commits.
        await tx.$queryRawUnsafe("SELECT id FROM stream_rejects WHERE id = $1 FOR UPDATE", id);
        replay = replayRejects(db, [id]);
        // On Postgres the replay runs beside this transaction: wait until it waits on the lock.
        // PGlite runs one transaction at a time, so there it starts after this one.
        if (db.kind === "postgres") {
          await waitFor(
            "the replay to wait on the lock",
            async () =>
              (
                await db.sql.query(
                  "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
                )
              ).length > 0,
            10_000,
          );
        }
        await tx.$executeRawUnsafe("DELETE FROM stream_rejects WHERE id = $1", id);
      });
      expect((await replay).replayed).toEqual([]);
      expect(await sales(db)).toEqual([]);
    });

    it("accepts a record refused as too far ahead once its day is near", async () => {
      const ahead = formatDay(todayDay(NOW) + 2);
      await ingestBatch(db, batch([JSON.stringify(record({ store: 4, date: ahead }))], 30), { now: NOW });
      const [id] = (await rejectIds(db))[0]!;
      expect((await replayRejects(db, [id], { now: NOW })).stillFailing).toHaveLength(1);
      const later = await replayRejects(db, [id], { now: NOW + DAY_MS });
      expect(later.replayed.map((r) => r.id)).toEqual([id]);
      expect(await rejectIds(db)).toEqual([]);
    });

    it("keeps a newer record of the same store, product and day: the replayed one is as old as its reject", async () => {
      const id = await oldRuleReject(
        db,
        JSON.stringify(record({ store: 5, productname: "product_newer", sales: 1 })),
        40,
      );
      const later = String(NOW + 365 * DAY_MS);
      await ingestBatch(
        db,
        batch([JSON.stringify(record({ store: 5, productname: "product_newer", sales: 2 }))], 41, later),
      );
      const r = await replayRejects(db, [id]);
      expect(r.replayed.map((x) => x.id)).toEqual([id]);
      expect((await sales(db)).map((x) => x.sales)).toEqual([2]);
    });

    it("replays every matching reject that passes now, for a filter by reason class, and no other", async () => {
      const a = await oldRuleReject(db, JSON.stringify(record({ store: 8, productname: "product_a_long" })), 50);
      const b = await oldRuleReject(db, JSON.stringify(record({ store: 9, productname: "product_b_long" })), 51);
      await ingestBatch(db, batch(["[1,2]", "{oops"], 52), { now: NOW });
      // The old rule's reason reads as invalid_field; the array is not_object, the text not_json.
      const none = await replayMatching(db, { kind: "not_object" });
      expect(none.replayed).toEqual([]);
      expect(none.stillFailing.map((f) => f.reason)).toEqual(["expected a JSON object, got an array"]);
      const all = await replayMatching(db, { kind: "invalid_field", from: TODAY, to: TODAY }, { limit: 1 });
      expect(all.replayed.map((x) => x.id)).toEqual([b]);
      expect(all.limited).toBe(true);
      const rest = await replayMatching(db, {});
      expect(rest.replayed.map((x) => x.id)).toEqual([a]);
      expect(rest.stillFailing).toHaveLength(2);
      expect(rest.limited).toBe(false);
      expect((await sales(db)).map((x) => x.store)).toEqual([8, 9]);
    });
  });
}
