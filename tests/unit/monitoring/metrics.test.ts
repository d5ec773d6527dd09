import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseDay } from "../../../app/days.js";
import { realizedSummary } from "../../../app/monitoring/accuracy.server.js";
import { scoreActuals } from "../../../app/monitoring/scoring.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { registry, setMetricSources } from "../../../app/platform/metrics.server.js";

// The realized-accuracy metrics (docs/decisions/0027) under the names the alert rules use.
const DAY = parseDay("2031-05-05") as number;
const series = (text: string, name: string) => text.match(new RegExp(`^${name}\\{window="7d"\\} (\\S+)$`, "m"))?.[1];

describe("realized accuracy metrics", () => {
  let db: Database;
  const errors: string[] = [];
  const onError = (err: unknown, what: string) => errors.push(`${what}: ${(err as Error).message}`);

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterEach(() => {
    setMetricSources({ realized: undefined, onError: undefined });
    errors.length = 0;
  });
  afterAll(async () => {
    await db?.close();
  });

  it("exports fleet RMSPE, coverage and the ratio to CV for the last 7 days, and counts days scored", async () => {
    setMetricSources({ realized: () => realizedSummary(db, DAY), onError });
    let text = await registry.metrics();
    expect(text).toContain("# TYPE storecast_realized_rmspe gauge");
    expect(series(text, "storecast_realized_rmspe")).toBeUndefined();

    const scored = async () => Number(text.match(/^storecast_forecast_days_scored_total (\S+)$/m)?.[1]);
    const before = await scored();
    for (const [store, sales, f] of [
      [1, 1000, 1100],
      [2, 1000, 700],
    ] as const) {
      await db.sql.query(
        `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
         VALUES ($1, 'product_A', DATE '1970-01-01' + $2::int, 1, $3, 0, 1, 0, '0', 0)`,
        [store, DAY, sales],
      );
      await db.sql.query(
        `INSERT INTO forecast_results (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, created_on)
         VALUES ($1, 'product_A', DATE '1970-01-01' + $2::int, $3::float8, $3::float8 * 0.8, $3::float8 * 1.2, 'm', 1, '2031-01-01')`,
        [store, DAY, f],
      );
    }
    const keys = [1, 2].map((store) => ({ store, productname: "product_A", day: DAY }));
    await scoreActuals(db, keys);
    await scoreActuals(db, keys); // re-sent: counts nothing
    text = await registry.metrics();
    expect(Number(series(text, "storecast_realized_rmspe"))).toBeCloseTo(Math.sqrt((0.01 + 0.09) / 2), 10);
    expect(Number(series(text, "storecast_realized_interval_coverage"))).toBe(0.5);
    // No version with CV metrics: no ratio.
    expect(series(text, "storecast_realized_vs_cv_ratio")).toBeUndefined();
    expect((await scored()) - before).toBe(2);
    expect(errors).toEqual([]);
  });

  it("leaves the gauges out, and still answers, when the database fails", async () => {
    const broken = { sql: { query: () => Promise.reject(new Error("connection refused")) } } as unknown as Database;
    setMetricSources({ realized: () => realizedSummary(broken, DAY), onError });
    const text = await registry.metrics();
    expect(text).toContain("# TYPE storecast_realized_interval_coverage gauge");
    expect(text).not.toMatch(/storecast_realized_rmspe\{/);
    expect(errors).toEqual(["realized accuracy: connection refused"]);
  });
});
