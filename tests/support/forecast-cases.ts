/**
 * Contract suite for the forecasting pipeline (train-all, train-one, ad-hoc and weekly
 * forecasts): the same cases run on in-memory PGlite (unit) and on Postgres (integration).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay, todayDay } from "../../app/days.js";
import { NotFoundError, ValidationError } from "../../app/errors.js";
import { adhocForecast } from "../../app/forecasting/adhoc.server.js";
import { adhocForecastMany } from "../../app/forecasting/adhoc-many.server.js";
import { batchForecast } from "../../app/forecasting/batch.server.js";
import { BatchTooLargeError } from "../../app/forecasting/budget.server.js";
import { OutOfWindowError } from "../../app/forecasting/forecast-window.js";
import { latestForecast } from "../../app/forecasting/weekly.server.js";
import type { PlanDay, StoredModel } from "../../app/model/config.js";
import { createModelPool, type ModelPool } from "../../app/model/pool.server.js";
import { predict } from "../../app/model/prophet.server.js";
import { getRun } from "../../app/pipelines/runs.server.js";
import type { Database } from "../../app/platform/db.server.js";
import { promoteVersion } from "../../app/registry/register.server.js";
import { getVersion, listVersions, productionVersion } from "../../app/registry/versions.server.js";
import { trainAll } from "../../app/training/train-all.server.js";
import { trainOne } from "../../app/training/train-one.server.js";
import { loadGeneratedHistory } from "./generated-history.js";

const STORES = 5;
const SHORT_STORE = 9001; // a store with too little history to train

async function count(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return row?.n ?? 0;
}

export function describeForecasting(name: string, openDb: () => Promise<Database>): void {
  describe(`forecasting on ${name}`, () => {
    let db: Database;
    let pool: ModelPool;
    const yesterday = formatDay(todayDay() - 1);

    beforeAll(async () => {
      db = await openDb();
      pool = createModelPool({ threads: 2 });
      await loadGeneratedHistory(db, { stores: STORES, seed: 11, tempPrefix: "forecast" });
      // Ten open days only, ending yesterday: inside the window, too short to fit.
      const y = todayDay() - 1;
      await db.sql.query(
        `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
         SELECT $1, 'product_A', d::date, extract(isodow FROM d)::int, 4000, 400, 1, 0, '0', 0
           FROM generate_series($2::date, $3::date, interval '1 day') AS d`,
        [SHORT_STORE, formatDay(y - 9), formatDay(y)],
      );
    });
    afterAll(async () => {
      await pool?.close();
      await db?.close();
    });

    it("train-all fits, registers and writes the next 7 days for every series; a short series is skipped with its reason", async () => {
      const progress: number[] = [];
      const result = await trainAll(db, pool, { onProgress: (done) => progress.push(done) });
      expect(result).toMatchObject({ status: "SUCCEEDED", series: STORES + 1, trained: STORES, skipped: 1, failed: 0 });
      expect(result.failures).toEqual([
        { store: SHORT_STORE, productname: "product_A", reason: "insufficient history: 10 open days" },
      ]);
      expect(progress.at(-1)).toBe(STORES + 1);
      expect(result.forecastFrom).toBe(formatDay(todayDay()));
      expect(result.forecastRows).toBe(STORES * 7);

      const run = await getRun(db, result.runId);
      expect(run).toMatchObject({
        kind: "train-all",
        status: "SUCCEEDED",
        progressDone: STORES + 1,
        progressTotal: STORES + 1,
      });
      expect(run?.counts).toMatchObject({ trained: STORES, skipped: 1, failed: 0 });
      expect(run?.steps.map((s) => s.name)).toEqual(["load", "train"]);

      for (let store = 1; store <= STORES; store++) {
        const version = await productionVersion(db, store, "product_A");
        expect(version).toMatchObject({
          name: `prophet-retail-forecaster-store-${store}-product_A`,
          version: 1,
          stage: "production",
          pipelineRunId: result.runId,
        });
        expect(version?.cv?.folds).toHaveLength(5);
        expect(version?.cvRmspe).toBeGreaterThan(0);
        const weekly = await latestForecast(db, { store, productname: "product_A" });
        expect(weekly?.points.map((p) => p.date)).toEqual(
          Array.from({ length: 7 }, (_, i) => formatDay(todayDay() + i)),
        );
        expect(weekly).toMatchObject({ modelName: version?.name, modelVersion: 1 });
        for (const p of weekly?.points ?? []) {
          expect(p.lower).toBeLessThanOrEqual(p.value);
          expect(p.value).toBeLessThanOrEqual(p.upper);
        }
      }
      expect(await count(db, "forecast_results WHERE store = $1", [SHORT_STORE])).toBe(0);
      expect(await productionVersion(db, SHORT_STORE, "product_A")).toBeNull();
    });

    it("an optimiser error fails that series only: recorded with its reason, the run still succeeds", async () => {
      // The pool is real; only the second series' fit is made to fail, as a crashed optimiser would.
      let calls = 0;
      const flaky: ModelPool = {
        threads: pool.threads,
        predict: (model, days) => pool.predict(model, days),
        predictMany: (items) => pool.predictMany(items),
        stats: () => pool.stats(),
        close: async () => {},
        train: (history, config, opts) => {
          calls++;
          return calls === 2
            ? Promise.reject(new Error("optimisation failed: line search"))
            : pool.train(history, config, opts);
        },
      };
      const before = await productionVersion(db, 2, "product_A");
      const result = await trainAll(db, flaky);
      expect(result).toMatchObject({ status: "SUCCEEDED", trained: STORES - 1, failed: 1, skipped: 1 });
      expect(result.failures).toContainEqual({
        store: 2,
        productname: "product_A",
        reason: "optimisation failed: line search",
      });
      expect((await getRun(db, result.runId))?.counts).toMatchObject({ failed: 1, trained: STORES - 1 });
      // The failed series keeps serving its previous version; the others moved on.
      expect((await productionVersion(db, 2, "product_A"))?.version).toBe(before?.version);
      expect((await productionVersion(db, 1, "product_A"))?.version).toBe(2);
    });

    it("train-one registers the next version as production and refreshes that series' forecast", async () => {
      const result = await trainOne(db, pool, { store: 2, productname: "product_A" });
      expect(result.version).toMatchObject({ version: 2, stage: "production" });
      const versions = await listVersions(db, 2, "product_A");
      expect(versions.map((v) => [v.version, v.stage])).toEqual([
        [2, "production"],
        [1, "archived"],
      ]);
      const weekly = await latestForecast(db, { store: 2, productname: "product_A" });
      expect(weekly?.modelVersion).toBe(2);
      expect(weekly?.points).toHaveLength(7);
      expect((await getRun(db, result.runId))?.status).toBe("SUCCEEDED");
      // Other series are untouched by a retrain.
      expect((await productionVersion(db, 1, "product_A"))?.version).toBe(2);
    });

    it("train-one and ad-hoc forecasts name an unknown store or product as not found", async () => {
      await expect(trainOne(db, pool, { store: 4242, productname: "product_A" })).rejects.toMatchObject({
        entity: "store",
        message: expect.stringContaining("4242"),
      });
      await expect(trainOne(db, pool, { store: 1, productname: "product_Z" })).rejects.toBeInstanceOf(NotFoundError);
      await expect(
        adhocForecast(db, pool, { store: 1, productname: "product_Z", begin: yesterday, end: yesterday }),
      ).rejects.toMatchObject({ entity: "product" });
      await expect(
        adhocForecast(db, pool, { store: SHORT_STORE, productname: "product_A", begin: yesterday, end: yesterday }),
      ).rejects.toMatchObject({ entity: "model" });
    });

    it("ad-hoc forecasts any range from the production version and stores nothing", async () => {
      const before = await count(db, "forecast_results");
      const begin = formatDay(todayDay() + 3);
      const end = formatDay(todayDay() + 92);
      const result = await adhocForecast(db, pool, { store: 1, productname: "product_A", begin, end });
      expect(result).toMatchObject({ modelName: "prophet-retail-forecaster-store-1-product_A", modelVersion: 2 });
      expect(result.points).toHaveLength(90);
      expect(result.points[0]?.date).toBe(begin);
      expect(result.points.at(-1)?.date).toBe(end);
      expect(await count(db, "forecast_results")).toBe(before);
      // Beyond the calendar, days follow the store's usual week (e.g. closed on Sundays).
      const shares = await db.sql.query<{ dow: number; share: number }>(
        `SELECT dayofweek AS dow, avg(open)::float8 AS share FROM rossman_sales WHERE store = 1 GROUP BY dayofweek`,
      );
      const usuallyClosed = new Set(shares.filter((r) => r.share < 0.5).map((r) => r.dow));
      expect(usuallyClosed.size).toBeGreaterThan(0);
      const [planned] = await db.sql.query<{ last: string }>(
        `SELECT max(date)::text AS last FROM store_calendar WHERE store = 1`,
      );
      const unplanned = result.points.filter((p) => p.date > (planned?.last ?? ""));
      expect(unplanned.length).toBeGreaterThan(30);
      for (const p of unplanned) {
        if (usuallyClosed.has(isoWeekday(parseDay(p.date)!)))
          expect(p).toEqual({ date: p.date, value: 0, lower: 0, upper: 0 });
        else expect(p.value).toBeGreaterThan(0);
      }
    });

    it("ad-hoc forecast answers a repeated question alike and follows a new version and a rollback at once", async () => {
      const key = { store: 1, productname: "product_A" };
      const req = { ...key, begin: formatDay(todayDay() + 1), end: formatDay(todayDay() + 7) };
      const first = await adhocForecast(db, pool, req);
      // The interval is sampled, seeded by the version and the question: a repeated question, the same answer.
      expect(await adhocForecast(db, pool, req)).toEqual(first);
      const current = first.modelVersion;
      const total = (r: { points: { value: number }[] }) => r.points.reduce((t, p) => t + p.value, 0);

      // A version trained on doubled sales forecasts about twice as much, at once.
      await db.sql.query("UPDATE rossman_sales SET sales = sales * 2 WHERE store = 1");
      try {
        const { version } = await trainOne(db, pool, key);
        expect(version.version).toBe(current + 1);
        const doubled = await adhocForecast(db, pool, req);
        expect(doubled.modelVersion).toBe(current + 1);
        expect(total(doubled) / total(first)).toBeGreaterThan(1.5);

        // Rolling back serves the older version again, with the same answer as before.
        await promoteVersion(db, 1, "product_A", current);
        const rolledBack = await adhocForecast(db, pool, req);
        expect(rolledBack).toEqual(first);
        const older = await getVersion(db, 1, "product_A", current);
        const plan = await db.sql.query<PlanDay>(
          `SELECT date::text AS date, open, promo, stateholiday, schoolholiday FROM store_calendar
            WHERE store = 1 AND date BETWEEN $1::date AND $2::date ORDER BY date`,
          [req.begin, req.end],
        );
        expect(plan).toHaveLength(7);
        const want = predict(older!.params as StoredModel, plan);
        for (const [i, p] of rolledBack.points.entries()) {
          expect(Math.abs(p.value - want[i]!.value)).toBeLessThan(1e-6 * Math.max(1, p.value));
        }
      } finally {
        await db.sql.query("UPDATE rossman_sales SET sales = sales / 2 WHERE store = 1");
      }
    });

    it("ad-hoc forecast follows the store calendar: a planned closure is 0 with a 0 interval", async () => {
      const day = formatDay(todayDay() + 2);
      await db.sql.query(
        `INSERT INTO store_calendar (store, date, dayofweek, open, promo, stateholiday, schoolholiday)
         VALUES (3, $1::date, $2, 0, 0, 'a', 0)
         ON CONFLICT (store, date) DO UPDATE SET open = 0, stateholiday = 'a'`,
        [day, isoWeekday(parseDay(day)!)],
      );
      const result = await adhocForecast(db, pool, { store: 3, productname: "product_A", begin: day, end: day });
      expect(result.points).toEqual([{ date: day, value: 0, lower: 0, upper: 0 }]);
    });

    it("rejects a range that ends before it begins or spans more than 365 days, naming the field", async () => {
      const key = { store: 1, productname: "product_A" };
      const day = (offset: number) => formatDay(todayDay() + offset);
      await expect(adhocForecast(db, pool, { ...key, begin: day(10), end: day(1) })).rejects.toMatchObject({
        field: "end_date",
        message: expect.stringContaining("before"),
      });
      await expect(adhocForecast(db, pool, { ...key, begin: day(1), end: day(366) })).rejects.toBeInstanceOf(
        ValidationError,
      );
      await expect(adhocForecast(db, pool, { ...key, begin: "2026-02-30", end: "2026-03-01" })).rejects.toMatchObject({
        field: "begin_date",
      });
      // 365 days inclusive is the limit, not an error.
      const ok = await adhocForecast(db, pool, { ...key, begin: day(1), end: day(365) });
      expect(ok.points).toHaveLength(365);
    });

    /** Every model-thread task the pool has seen: queued, running or ended. */
    const tasksSeen = () => {
      const s = pool.stats();
      return s.queued + s.running + Object.values(s.finished).reduce((a, b) => a + b, 0);
    };

    it("computes a week on the request's thread (cheaper than handing it over) and a quarter in the model threads", async () => {
      const key = { store: 1, productname: "product_A" };
      const [span] = await db.sql.query<{ newest: string }>("SELECT max(date)::text AS newest FROM rossman_sales");
      const newest = parseDay(span!.newest)!;
      // Far enough ahead that no earlier case asked it: computed, not a kept answer.
      const week = { ...key, begin: formatDay(newest + 500), end: formatDay(newest + 506) };
      const seen = tasksSeen();
      const inline = await adhocForecast(db, pool, week);
      expect(inline.points).toHaveLength(7);
      expect(inline.points.some((p) => p.value > 0 && p.lower < p.value && p.value < p.upper)).toBe(true);
      expect(tasksSeen()).toBe(seen);
      const quarter = await adhocForecast(db, pool, {
        ...key,
        begin: formatDay(newest + 500),
        end: formatDay(newest + 589),
      });
      expect(tasksSeen()).toBe(seen + 1);
      // The week's days inside the quarter: the same points (another question, so other draws for the band).
      expect(quarter.points.slice(0, 7).map((p) => p.value)).toEqual(inline.points.map((p) => p.value));
    });

    it("refuses a date outside the forecast window at once, naming the field and the window: no task reaches the threads", async () => {
      const key = { store: 1, productname: "product_A" };
      const [span] = await db.sql.query<{ first: string; newest: string }>(
        "SELECT min(date)::text AS first, max(date)::text AS newest FROM rossman_sales",
      );
      const newest = parseDay(span!.newest)!;
      const first = parseDay(span!.first)!;
      const seen = tasksSeen();
      // The finding: a 190-byte request for year 9999 held a thread for ~100 s.
      const farFuture = adhocForecast(db, pool, { ...key, begin: "9999-01-01", end: "9999-01-07" });
      await expect(farFuture).rejects.toBeInstanceOf(OutOfWindowError);
      await expect(farFuture).rejects.toMatchObject({
        field: "begin_date",
        message: expect.stringContaining(
          `${formatDay(newest + 730)} (the first sales day to 730 days after the newest`,
        ),
      });
      const err = await adhocForecast(db, pool, {
        ...key,
        begin: formatDay(newest + 700),
        end: formatDay(newest + 731),
      }).catch((e: unknown) => e as OutOfWindowError);
      expect(err).toBeInstanceOf(OutOfWindowError);
      expect((err as OutOfWindowError).details()).toEqual({
        field: "end_date",
        window: { first: formatDay(first), last: formatDay(newest + 730) },
        horizonDays: 730,
      });
      await expect(
        adhocForecast(db, pool, { ...key, begin: formatDay(first - 1), end: formatDay(first + 5) }),
      ).rejects.toMatchObject({ field: "begin_date" });
      // The window's horizon is the caller's to set.
      await expect(
        adhocForecast(
          db,
          pool,
          { ...key, begin: formatDay(newest + 20), end: formatDay(newest + 20) },
          { horizonDays: 10 },
        ),
      ).rejects.toMatchObject({ field: "begin_date", message: expect.stringContaining("10 days after the newest") });
      expect(tasksSeen()).toBe(seen);
      // Its edges are inside.
      const edges = await adhocForecast(db, pool, {
        ...key,
        begin: formatDay(newest + 730),
        end: formatDay(newest + 730),
      });
      expect(edges.points).toHaveLength(1);
      const oldest = await adhocForecast(db, pool, { ...key, begin: formatDay(first), end: formatDay(first) });
      expect(oldest.points).toHaveLength(1);
    });

    it("a batch reads its inputs in the same few queries whatever its size, and an oversized one reads nothing", async () => {
      /** The real database, its queries counted (a fresh wrapper: nothing cached from earlier cases). */
      const counting = () => {
        const counter = { queries: 0, db: undefined as unknown as Database };
        counter.db = {
          ...db,
          sql: {
            exec: (sql: string) => db.sql.exec(sql),
            query: (sql: string, params?: unknown[], opts?: { prepare?: string }) => {
              counter.queries++;
              return db.sql.query(sql, params, opts);
            },
          } as Database["sql"],
        };
        return counter;
      };
      const asks = (n: number) =>
        Array.from({ length: n }, (_, i) => ({
          store: (i % (STORES + 2)) + 1, // stores 6 and 7 do not exist: their reason is read too
          productname: "product_A",
          fromDay: todayDay() + (i % 300),
          days: 7,
        }));
      const small = counting();
      const few = await adhocForecastMany(small.db, pool, asks(8));
      const large = counting();
      const many = await adhocForecastMany(large.db, pool, asks(4000));
      expect(few.filter((a) => !(a instanceof Error))).toHaveLength(6);
      expect(many).toHaveLength(4000);
      expect(many.filter((a) => a instanceof NotFoundError)).toHaveLength(
        asks(4000).filter((a) => a.store > STORES).length,
      );
      // Set-based: the same number of round trips for 8 items and for 4,000 (none per item).
      expect(large.queries).toBe(small.queries);
      expect(small.queries).toBeLessThanOrEqual(6);

      const oversized = counting();
      const seen = tasksSeen();
      const refused = adhocForecastMany(oversized.db, pool, asks(14_286), { maxPoints: 100_000 });
      await expect(refused).rejects.toBeInstanceOf(BatchTooLargeError);
      const err = (await refused.catch((e: unknown) => e)) as BatchTooLargeError;
      expect(err.status).toBe(413);
      expect(err.details()).toMatchObject({ limit: 100_000, points: 100_002 });
      expect(err.message).toContain("at most 100000 forecast points");
      expect(oversized.queries).toBe(0);
      expect(tasksSeen()).toBe(seen);
    });

    it("batch-forecast re-forecasts the next 7 days from every production version without refitting", async () => {
      const versionsBefore = await count(db, "model_versions");
      const progress: number[] = [];
      const result = await batchForecast(db, pool, { onProgress: (done) => progress.push(done) });
      expect(result).toMatchObject({ status: "SUCCEEDED", series: STORES, forecast: STORES, failed: 0 });
      expect(result.forecastRows).toBe(STORES * 7);
      expect(result.forecastFrom).toBe(formatDay(todayDay()));
      expect(progress.at(-1)).toBe(STORES);
      // No new version: the stored models predicted.
      expect(await count(db, "model_versions")).toBe(versionsBefore);
      const run = await getRun(db, result.runId);
      expect(run).toMatchObject({ kind: "batch-forecast", status: "SUCCEEDED", progressDone: STORES });
      expect(run?.counts).toMatchObject({ forecast: STORES, failed: 0, forecastRows: STORES * 7 });
      for (let store = 1; store <= STORES; store++) {
        const production = await productionVersion(db, store, "product_A");
        expect(
          await count(db, "forecast_results WHERE store = $1 AND pipeline_run_id = $2 AND model_version = $3", [
            store,
            result.runId,
            production?.version,
          ]),
        ).toBe(7);
        const weekly = await latestForecast(db, { store, productname: "product_A" });
        expect(weekly?.modelVersion).toBe(production?.version);
      }
      expect(await count(db, "forecast_results WHERE store = $1", [SHORT_STORE])).toBe(0);
    });
  });
}
