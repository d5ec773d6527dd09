/**
 * Contract suite for realized accuracy (app/monitoring): the same cases on PGlite (unit) and
 * Postgres (integration). Actuals, forecasts (with their creation times) and registry versions are
 * laid out in the tables, scoring runs, and the scores and the accuracy queries are read back.
 * Each case uses a store of its own, so cases do not see each other's rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../../app/days.js";
import { fleetAccuracy, realizedSummary, seriesAccuracy } from "../../app/monitoring/accuracy.server.js";
import { scoreActuals, scoreDays, sweepScores } from "../../app/monitoring/scoring.server.js";
import type { Database } from "../../app/platform/db.server.js";
import { registerVersion } from "../../app/registry/register.server.js";
import { modelName } from "../../app/registry/versions.server.js";
import { newVersion } from "./registry-cases.js";

const P = "product_A";
/** A Monday. */
const D = parseDay("2030-03-04") as number;
const HOUR = 3_600_000;
const at = (day: number, hours = 0) => new Date(day * 86_400_000 + hours * HOUR).toISOString();

interface ScoreRow {
  date: string;
  sales: number;
  forecast_sale: number;
  model_version: number;
  cv_rmspe: number | null;
  pct_error: number | null;
  in_band: boolean | null;
  mismatch: boolean;
  scored_at: string;
}

export function describeScoring(name: string, openDb: () => Promise<Database>): void {
  describe(`realized accuracy (${name})`, () => {
    let db: Database;
    let store = 0;

    beforeAll(async () => {
      db = await openDb();
    });
    afterAll(async () => {
      await db?.close();
    });

    async function actual(s: number, day: number, sales: number, open = sales > 0 ? 1 : 0, product = P) {
      await db.sql.query(
        `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
         VALUES ($1, $2, DATE '1970-01-01' + $3::int, 1, $4, 0, $5, 0, '0', 0)
         ON CONFLICT (store, productname, date) DO UPDATE SET sales = EXCLUDED.sales, open = EXCLUDED.open`,
        [s, product, day, sales, open],
      );
    }
    async function forecast(s: number, day: number, version: number, value: number, createdOn: string, band = 0.2) {
      await db.sql.query(
        `INSERT INTO forecast_results (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci,
                                       model_name, model_version, created_on)
         VALUES ($1, $2, DATE '1970-01-01' + $3::int, $4, $5, $6, $7, $8, $9::timestamptz)`,
        [s, P, day, value, value * (1 - band), value * (1 + band), modelName(s, P), version, createdOn],
      );
    }
    const scores = (s: number) =>
      db.sql.query<ScoreRow>(
        `SELECT to_char(date, 'YYYY-MM-DD') AS date, sales, forecast_sale, model_version, cv_rmspe, pct_error,
                in_band, mismatch, scored_at::text AS scored_at
           FROM forecast_scores WHERE store = $1 ORDER BY date`,
        [s],
      );
    const key = (s: number, day: number, productname = P) => ({ store: s, productname, day });

    it("scores the forecast in production that day: the newest made before the day began, with its version's CV", async () => {
      const s = ++store;
      await registerVersion(db, newVersion(s, P, 1));
      await registerVersion(db, newVersion(s, P, 2));
      await actual(s, D, 1000);
      await forecast(s, D, 1, 900, at(D - 7));
      await forecast(s, D, 2, 1100, at(D - 1, 6)); // the one in production
      await forecast(s, D, 3, 5000, at(D, 9)); // made during the day: not when the day began
      await forecast(s, D, 4, 1, at(D + 1, 1)); // hindsight: never
      expect(await scoreActuals(db, [key(s, D)])).toEqual({ matched: 1, inserted: 1, updated: 0 });
      const [row] = await scores(s);
      expect(row).toMatchObject({ date: formatDay(D), sales: 1000, forecast_sale: 1100, model_version: 2 });
      expect(row?.pct_error).toBeCloseTo(0.1, 10);
      expect(row?.cv_rmspe).toBeCloseTo(0.0875, 10);
      expect(row).toMatchObject({ in_band: true, mismatch: false });
    });

    it("falls back to a forecast made on the day itself; one made after the day is never scored", async () => {
      const s = ++store;
      await actual(s, D, 1000);
      await actual(s, D + 1, 1000);
      await forecast(s, D, 1, 1300, at(D, 12));
      await forecast(s, D + 1, 1, 1300, at(D + 2));
      expect(await scoreActuals(db, [key(s, D), key(s, D + 1)])).toEqual({ matched: 1, inserted: 1, updated: 0 });
      const rows = await scores(s);
      expect(rows.map((r) => r.date)).toEqual([formatDay(D)]);
      // Outside the 20% band; no registry version: no CV figure.
      expect(rows[0]).toMatchObject({ in_band: false, cv_rmspe: null });
    });

    it("a closed day forecast at 0 is no error; open/closed mismatches are counted, not scored as errors", async () => {
      const s = ++store;
      await actual(s, D, 0, 0); // closed, forecast closed
      await forecast(s, D, 1, 0, at(D - 1));
      await actual(s, D + 1, 800, 1); // open, forecast closed
      await forecast(s, D + 1, 1, 0, at(D - 1));
      await actual(s, D + 2, 0, 0); // closed, forecast open
      await forecast(s, D + 2, 1, 900, at(D - 1));
      await actual(s, D + 3, 0, 1); // open with no sales: inside the band, no % error
      await forecast(s, D + 3, 1, 10, at(D - 1), 1);
      await scoreActuals(db, [key(s, D), key(s, D + 1), key(s, D + 2), key(s, D + 3)]);
      const rows = await scores(s);
      expect(rows.map((r) => [r.pct_error, r.in_band, r.mismatch])).toEqual([
        [null, null, false],
        [null, null, true],
        [null, null, true],
        [null, true, false],
      ]);
    });

    it("is idempotent: a re-sent actual changes nothing; a corrected one re-scores", async () => {
      const s = ++store;
      await actual(s, D, 1000);
      await forecast(s, D, 1, 1100, at(D - 1));
      expect(await scoreActuals(db, [key(s, D), key(s, D)])).toEqual({ matched: 1, inserted: 1, updated: 0 });
      const [first] = await scores(s);
      expect(await scoreActuals(db, [key(s, D)])).toEqual({ matched: 1, inserted: 0, updated: 0 });
      expect((await scores(s))[0]?.scored_at).toBe(first?.scored_at);
      await actual(s, D, 1250);
      expect(await scoreActuals(db, [key(s, D)])).toEqual({ matched: 1, inserted: 0, updated: 1 });
      const [again] = await scores(s);
      expect(again?.sales).toBe(1250);
      expect(again?.pct_error).toBeCloseTo(1100 / 1250 - 1, 10);
    });

    it("scores an actual late by weeks; ignores days with no forecast and series it does not know", async () => {
      const s = ++store;
      await actual(s, D - 35, 500);
      await forecast(s, D - 35, 1, 400, at(D - 40));
      await actual(s, D, 700); // no forecast for this day
      const r = await scoreActuals(db, [key(s, D - 35), key(s, D), key(s, D, "no_such_product"), key(999_999, D)]);
      expect(r).toEqual({ matched: 1, inserted: 1, updated: 0 });
      expect((await scores(s)).map((x) => x.date)).toEqual([formatDay(D - 35)]);
      expect(await scoreActuals(db, [])).toEqual({ matched: 0, inserted: 0, updated: 0 });
    });

    it("scores a loaded range by its forecasts (a history load), leaving days outside it alone", async () => {
      const s = ++store;
      for (const d of [D - 3, D - 2, D + 5]) {
        await actual(s, d, 100);
        await forecast(s, d, 1, 110, at(d - 1));
      }
      const r = await scoreDays(db, formatDay(D - 3), formatDay(D));
      expect(r.inserted).toBeGreaterThanOrEqual(2);
      expect((await scores(s)).map((x) => x.date)).toEqual([formatDay(D - 3), formatDay(D - 2)]);
      await expect(scoreDays(db, "2030-13-01", "2030-01-01")).rejects.toThrow(/YYYY-MM-DD/);
    });

    it("the sweep scores a forecast written after its day's actual, once, and no day outside its window", async () => {
      // Days of their own: the sweep's window holds this case's rows only.
      const s = ++store;
      const E = D + 300;
      const asOf = formatDay(E + 1);
      // The actuals arrive and are scored as they do: no forecast for them yet.
      for (const d of [E - 4, E, E + 2]) await actual(s, d, 1000);
      expect(await scoreActuals(db, [key(s, E - 4), key(s, E), key(s, E + 2)])).toMatchObject({ matched: 0 });
      // Then forecasts made on those days (a retrain that morning, written after the actual came in).
      for (const d of [E - 4, E, E + 2]) await forecast(s, d, 1, 1100, at(d, 9));
      expect(await scores(s)).toEqual([]);

      // Five days ending the day after E: E - 3 .. E + 1.
      const first = await sweepScores(db, 5, asOf);
      expect(first).toEqual({ from: formatDay(E - 3), to: asOf, matched: 1, inserted: 1, updated: 0 });
      const rows = await scores(s);
      expect(rows.map((r) => [r.date, r.forecast_sale])).toEqual([[formatDay(E), 1100]]);
      expect(rows[0]?.pct_error).toBeCloseTo(0.1, 10);

      // A second sweep writes nothing.
      expect(await sweepScores(db, 5, asOf)).toEqual({ ...first, inserted: 0 });
      expect((await scores(s)).map((r) => r.scored_at)).toEqual(rows.map((r) => r.scored_at));

      // Without a day given, the window ends at the newest actual.
      const [newest] = await db.sql.query<{ d: string }>("SELECT max(date)::text AS d FROM rossman_sales");
      expect((await sweepScores(db, 1)).to).toBe(newest?.d);
      await expect(sweepScores(db, 0)).rejects.toThrow(/at least 1 day/);
      await expect(sweepScores(db, 5, "2030-02-30")).rejects.toThrow(/YYYY-MM-DD/);
    });

    describe("accuracy figures", () => {
      // A series of its own over two ISO weeks, on days far from the other cases'.
      const W = D + 70; // a Monday
      let s = 0;
      beforeAll(async () => {
        s = 500 + ++store;
        await registerVersion(db, newVersion(s, P, 1));
        // Week 1: errors +10%, -10% (inside the band), one mismatch; week 2: +50% (outside).
        const days: [number, number, number, number][] = [
          [W, 1000, 1, 1100],
          [W + 1, 1000, 1, 900],
          [W + 2, 0, 0, 500],
          [W + 7, 1000, 1, 1500],
        ];
        for (const [d, sales, open, f] of days) {
          await actual(s, d, sales, open);
          await forecast(s, d, 1, f, at(d - 1));
        }
        await scoreActuals(
          db,
          days.map(([d]) => key(s, d)),
        );
      });

      it("per series and ISO week: RMSPE, MAPE, bias, coverage, mismatches, the ratio to CV; and per day", async () => {
        const a = await seriesAccuracy(db, s, P, { weeks: 2, today: W + 8 });
        expect(a).toMatchObject({ store: s, product: P, from: formatDay(W), to: formatDay(W + 8) });
        expect(a.weeks.map((w) => w.week)).toEqual([formatDay(W), formatDay(W + 7)]);
        const [w1, w2] = a.weeks;
        expect(w1).toMatchObject({ scored: 3, errorDays: 2, mismatches: 1, coverage: 1, versions: [1] });
        expect(w1?.rmspe).toBeCloseTo(0.1, 10);
        expect(w1?.mape).toBeCloseTo(0.1, 10);
        expect(w1?.bias).toBeCloseTo(0, 10);
        expect(w1?.vsCv).toBeCloseTo(0.1 / 0.0875, 10);
        expect(w2).toMatchObject({ scored: 1, errorDays: 1, mismatches: 0, coverage: 0 });
        expect(w2?.bias).toBeCloseTo(0.5, 10);
        expect(a.days).toHaveLength(4);
        expect(a.days[2]).toMatchObject({ date: formatDay(W + 2), open: 0, mismatch: true, pctError: null });
        // One week only: the current one.
        expect((await seriesAccuracy(db, s, P, { weeks: 1, today: W + 8 })).weeks).toHaveLength(1);
      });

      it("the fleet per day and over the last 7 days, and the gauges' summary", async () => {
        const f = await fleetAccuracy(db, { days: 3, today: W + 8 });
        expect(f.days.map((d) => d.date)).toEqual([formatDay(W + 7)]);
        expect(f.last7).toMatchObject({ from: formatDay(W + 2), to: formatDay(W + 8), scored: 2, mismatches: 1 });
        expect(f.last7.rmspe).toBeCloseTo(0.5, 10);
        expect(f.last7.cvRmspe).toBeCloseTo(0.0875, 10);
        const g = await realizedSummary(db, W + 8);
        expect(g.rmspe).toBeCloseTo(0.5, 10);
        expect(g.coverage).toBe(0);
        expect(g.vsCv).toBeCloseTo(0.5 / 0.0875, 10);
        // Nothing scored in the window: no figures, not zeros.
        expect(await realizedSummary(db, W + 400)).toEqual({ rmspe: null, coverage: null, vsCv: null });
      });
    });
  });
}
