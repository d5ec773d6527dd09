import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay } from "../../../app/days.js";
import {
  detectAnomalies,
  latestAnomalies,
  latestAnomalousCount,
  scanAnomalies,
  scanDay,
} from "../../../app/monitoring/anomalies.server.js";
import { anomalyJobHandlers } from "../../../app/monitoring/anomaly-jobs.server.js";
import { weeklyProfiles } from "../../../app/monitoring/weekly-profile.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { anomalyWorld, detectionRates, writeSalesRows } from "../../support/anomaly-data.js";

const OPTS = { windowDays: 28, sensitivity: 0.3 };

describe("the anomaly scan on generated stores with injected weekday changes", () => {
  // 400 stores, 5% of them with Saturday's sales moved to Monday two weeks before the scanned day.
  const world = anomalyWorld({
    stores: 400,
    seed: 42,
    endDate: "2026-11-30",
    share: 0.05,
    changedDaysAgo: 13,
    windowDays: 28,
  });

  it("flags every changed store and few others (recall 100%, false positives <= 2%)", () => {
    const d = detectAnomalies(weeklyProfiles(world.storeDays), OPTS);
    const r = detectionRates(
      d.anomalies.map((a) => a.store),
      world.changed,
      d.scanned,
    );
    expect(world.changed).toHaveLength(20);
    expect(d.scanned).toBeGreaterThan(380);
    expect(r.recall).toBe(1);
    expect(r.falsePositiveRate).toBeLessThanOrEqual(0.02);
    const first = d.anomalies.find((a) => world.changed.includes(a.store))!;
    expect(first.reason).toMatch(/Saturday .* of its average .*Monday|Monday .* of its average .*Saturday/);
  });

  it("flags almost nothing when nothing changed", () => {
    const plain = anomalyWorld({
      stores: 400,
      seed: 42,
      endDate: "2026-11-30",
      share: 0.05,
      changedDaysAgo: -1,
      windowDays: 28,
    });
    const d = detectAnomalies(weeklyProfiles(plain.storeDays), OPTS);
    expect(d.anomalies.length / d.scanned).toBeLessThanOrEqual(0.02);
  });

  it("compares no group smaller than minPeers", () => {
    const few = world.storeDays.filter((d) => d.store <= 5);
    const d = detectAnomalies(weeklyProfiles(few), OPTS);
    expect(d).toMatchObject({ scanned: 0, unpeered: 5, anomalies: [] });
  });

  describe("stored per day (PGlite)", () => {
    let db: Database;
    beforeAll(async () => {
      db = await openDatabase({ pgliteDir: "memory://" });
    });
    afterAll(() => db?.close());

    it("before any scan: no latest scan and no count", async () => {
      expect(await latestAnomalies(db)).toBeNull();
      expect(await latestAnomalousCount(db)).toBeNull();
    });

    it("scans the database's sales, stores the run and its stores, and a re-run replaces them", async () => {
      await writeSalesRows(db, world.rows);
      const scan = await scanAnomalies(db, world.endDay, OPTS);
      expect(scan.day).toBe("2026-11-30");
      const flagged = scan.anomalies.map((a) => a.store);
      expect(detectionRates(flagged, world.changed, scan.storesScanned).recall).toBe(1);
      const latest = (await latestAnomalies(db))!;
      expect(latest).toMatchObject({ day: "2026-11-30", windowDays: 28, storesScanned: scan.storesScanned });
      expect(latest.stores.map((s) => s.store)).toEqual(flagged);
      expect(latest.stores[0]!.profile).toHaveLength(7);
      expect(latest.stores[0]!.score).toBeGreaterThanOrEqual(latest.stores.at(-1)!.score);
      expect(await latestAnomalousCount(db)).toBe(flagged.length);

      // The same day again, far less sensitive: replaced, not added to.
      const again = await scanAnomalies(db, world.endDay, { windowDays: 28, sensitivity: 0.01 });
      expect(again.anomalous).toBeLessThan(flagged.length);
      expect((await latestAnomalies(db))!.stores).toHaveLength(again.anomalous);
    });

    it("a day with no sales in its window scans nothing and finds nothing", async () => {
      const scan = await scanAnomalies(db, world.endDay + 400, OPTS);
      expect(scan).toMatchObject({ storesScanned: 0, anomalous: 0 });
      expect(await latestAnomalousCount(db)).toBe(0);
    });

    it("the job kind scans the day it is given and returns the flagged stores", async () => {
      const { "anomaly-scan": scan } = anomalyJobHandlers({ db, config: {}, log: { info: () => {} } });
      const ctx = { id: "j1", signal: new AbortController().signal, progress: async () => {}, attempt: 1 };
      const out = (await scan({ day: formatDay(world.endDay) }, ctx as never)) as { anomalies: number[] };
      expect(out.anomalies).toEqual(expect.arrayContaining(world.changed));
      await expect(scan({ day: "2026-02-30" }, ctx as never)).rejects.toThrow(/day: expected a date/);
    });
  });

  it("scanDay: a given day, or days before now (default yesterday)", () => {
    const now = Date.UTC(2026, 11, 7, 4);
    expect(formatDay(scanDay({}, now))).toBe("2026-12-06");
    expect(formatDay(scanDay({ daysAgo: 0 }, now))).toBe("2026-12-07");
    expect(formatDay(scanDay({ day: "2026-01-02" }, now))).toBe("2026-01-02");
  });
});
