/**
 * Forecast monitoring against reality (issue 15): 60 generated stores are trained, then two weeks
 * of their actuals stream in through the consumer's path while some stores change (a competitor
 * takes 40% of four stores' sales, two move Saturday's sales to Monday). The changed series must be
 * flagged within a week of the change showing, few others at all, the policy (AUTO_RETRAIN=on) must
 * retrain them, and their realized error must then drop. The weekly training is replaced by a
 * weekly batch forecast from the versions in production, so what fixes the forecasts is the
 * policy's own retrains. On Postgres; bench:monitoring runs the same
 * world on 1,115 stores.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createModelPool, type ModelPool } from "../../app/model/pool.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { SATURDAY_TO_MONDAY } from "../../app/sales/generator/store-events.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import {
  detectionFigures,
  pooledRmspe,
  runWorld,
  type WorldInjection,
  type WorldResult,
} from "../support/monitoring-world.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
const LEVEL = [3, 17, 29, 41];
const WEEKDAY = [8, 22];
const CHANGE_DAY = 3;
const injections: WorldInjection[] = [
  { kind: "level", factor: 0.6, stores: LEVEL, fromDay: CHANGE_DAY },
  { kind: "weekday", factors: SATURDAY_TO_MONDAY, stores: WEEKDAY, fromDay: CHANGE_DAY },
];

describe("forecast monitoring against a simulated reality (Postgres)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let pool: ModelPool;
  let world: WorldResult;

  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_reality");
    db = await openDatabase({ databaseUrl: scratch.url });
    pool = createModelPool({ threads: 2 });
    world = await runWorld(db, pool, {
      stores: 60,
      seed: 3,
      streamDays: 15,
      injections,
      policy: "on",
      maxShare: 0.2,
      weekly: "forecast",
    });
  }, 600_000);
  afterAll(async () => {
    await pool?.close();
    await db?.close();
    await scratch?.drop();
  });

  it("flags every changed series within a week of the change showing, and few of the others", () => {
    const f = detectionFigures(world, 7);
    expect(f.byKind.level).toMatchObject({ stores: LEVEL.length, detected: LEVEL.length });
    expect(f.byKind.weekday).toMatchObject({ stores: WEEKDAY.length, detected: WEEKDAY.length });
    // At most 2 of the 54 unchanged series flagged in 15 nightly checks.
    expect(f.falsePositives).toBeLessThanOrEqual(2);
    for (const s of LEVEL) {
      const reasons = world.series.get(s)!.reasons.map((r) => r.kind);
      // A fall that begins in a promo week may first show on the promo days alone.
      expect(reasons.some((k) => k === "error" || k === "level-shift" || k === "promo")).toBe(true);
    }
  });

  it("retrains the changed series, and the level-shifted ones' realized error then drops", () => {
    const changed = [...LEVEL, ...WEEKDAY];
    const retrains = world.autoRetrains.filter((r) => changed.includes(r.store));
    expect(new Set(retrains.map((r) => r.store))).toEqual(new Set(changed));
    // A level shift is fixed by one retrain; a changed weekday pattern is not (120 days of the old
    // one outweigh two weeks of the new), so those may be retrained again after a verdict.
    const levelRetrains = retrains.filter((r) => LEVEL.includes(r.store));
    expect(levelRetrains).toHaveLength(LEVEL.length);
    for (const r of levelRetrains) expect(r).toMatchObject({ oldVersion: 1, newVersion: 2 });
    // The level stores: from the change to their retrain (AUTO_RETRAIN_AFTER_DAYS nights after the
    // first flag) against the days after it. Prophet's trend cannot step, so a refit on five days of
    // the new level recovers part of the error, not all (bench:monitoring has the figures).
    const retrainedOn = Math.max(...LEVEL.map((s) => world.series.get(s)!.firstFlagged!)) + 4;
    const before = pooledRmspe(world, LEVEL, CHANGE_DAY, retrainedOn)!;
    const after = pooledRmspe(world, LEVEL, retrainedOn + 1, 14)!;
    expect(before).toBeGreaterThan(0.5);
    expect(after).toBeLessThan(before * 0.85);
    // The policy's own verdict on them, once their new version had a full week.
    const judged = retrains.filter((r) => LEVEL.includes(r.store) && r.verdict !== "pending");
    for (const r of judged) expect(r).toMatchObject({ verdict: "helped", rolledBack: false });
  });
});
