/**
 * The drift-check job sweeps the recent scores first (docs/decisions/0027): a forecast written after
 * its day's actual is scored by the job, so the check that follows sees it; SCORE_SWEEP_DAYS=0 turns
 * the sweep off; a second run writes nothing; a failed sweep fails the job (it is retried).
 */
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../../app/days.js";
import { monitoringJobHandlers } from "../../../app/monitoring/jobs.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { registerVersion } from "../../../app/registry/register.server.js";
import { modelName } from "../../../app/registry/versions.server.js";
import { newVersion } from "../../support/registry-cases.js";

const P = "product_A";
const DAY = todayDay() - 1;
const ctx = { id: "j1", attempt: 1, signal: new AbortController().signal, progress: () => {} };

describe("the drift-check job's score sweep (PGlite)", () => {
  let db: Database;
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const log = pino(
    { level: "info" },
    {
      write: (line: string) => {
        const obj = JSON.parse(line) as Record<string, unknown>;
        lines.push({ obj, msg: String(obj.msg) });
      },
    },
  );
  const driftCheck = (config: { SCORE_SWEEP_DAYS?: number }) =>
    monitoringJobHandlers({ db, config, log })["drift-check"]({}, ctx) as Promise<{
      sweep: Record<string, unknown> | null;
    }>;
  const scored = async (store: number) =>
    (await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM forecast_scores WHERE store = $1", [store]))[0]
      ?.n;
  const checkedDays = async (store: number) =>
    (await db.sql.query<{ days: number }>("SELECT days FROM series_drift WHERE store = $1", [store]))[0]?.days;

  /** A series in production whose actual for DAY arrived before the forecast made on DAY itself. */
  async function lateForecast(store: number) {
    await registerVersion(db, newVersion(store, P, 1));
    await db.sql.query(
      `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
       VALUES ($1, $2, DATE '1970-01-01' + $3::int, 1, 1000, 0, 1, 0, '0', 0)`,
      [store, P, DAY],
    );
    await db.sql.query(
      `INSERT INTO forecast_results (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci,
                                     model_name, model_version, created_on)
       VALUES ($1, $2, DATE '1970-01-01' + $3::int, 1100, 900, 1300, $4, 1,
               (DATE '1970-01-01' + $3::int)::timestamp AT TIME ZONE 'UTC' + interval '9 hours')`,
      [store, P, DAY, modelName(store, P)],
    );
  }

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => {
    await db?.close();
  });

  it("with no actuals at all, sweeps nothing and says so", async () => {
    const r = await driftCheck({});
    expect(r.sweep).toEqual({ from: null, to: null, matched: 0, inserted: 0, updated: 0 });
    expect(lines.find((l) => l.msg === "score sweep finished")?.obj).toMatchObject({ jobId: "j1", days: 35 });
  });

  it("SCORE_SWEEP_DAYS=0: no sweep, the late forecast stays unscored and the check sees no score", async () => {
    lines.length = 0;
    await lateForecast(1);
    const r = await driftCheck({ SCORE_SWEEP_DAYS: 0 });
    expect(r.sweep).toBeNull();
    expect(lines.map((l) => l.msg)).not.toContain("score sweep finished");
    expect(await scored(1)).toBe(0);
    expect(await checkedDays(1)).toBe(0);
  });

  it("by default, scores it before the check, which then counts it; a second run writes nothing", async () => {
    lines.length = 0;
    const r = await driftCheck({});
    expect(r.sweep).toMatchObject({ to: formatDay(DAY), inserted: 1 });
    expect(await scored(1)).toBe(1);
    expect(await checkedDays(1)).toBe(1);
    const line = lines.find((l) => l.msg === "score sweep finished");
    expect(line?.obj).toMatchObject({ jobId: "j1", days: 35, matched: 1, inserted: 1, updated: 0 });
    expect(lines.findIndex((l) => l.msg === "score sweep finished")).toBeLessThan(
      lines.findIndex((l) => l.msg === "drift check finished"),
    );

    expect((await driftCheck({})).sweep).toMatchObject({ matched: 1, inserted: 0, updated: 0 });
  });

  it("a sweep that fails fails the job, before the check writes anything", async () => {
    await lateForecast(2);
    await expect(driftCheck({ SCORE_SWEEP_DAYS: -1 })).rejects.toThrow(/at least 1 day/);
    expect(await checkedDays(2)).toBeUndefined();
  });
});
