/**
 * What an older version of a series would have scored on days a newer one was scored on: its
 * forecast for those days made now from the stored model (the TypeScript predictor) with each day's
 * own plan (open, promo, holidays as they were), set against the same actuals. An automatic retrain
 * is judged this way (docs/decisions/0029): both versions on the same days, so a change in the
 * series between "before" and "after" does not pass for the retrain's doing.
 */
import { storedPredictor } from "../forecasting/model-cache.server.js";
import type { PlanDay } from "../model/config.js";
import { forecastWithPredictor } from "../model/predictor.js";
import type { Database } from "../platform/db.server.js";
import type { StateHoliday } from "../rossmann.js";
import type { SeriesKey } from "../series.js";
import type { WeekError } from "./retrain-policy.js";

interface ScoredDay {
  date: string;
  sales: number;
  open: number;
  promo: number;
  stateholiday: string;
  schoolholiday: number;
}

/** The open days with sales `version` was scored on in [from, to] (YYYY-MM-DD), with their plans. */
async function scoredDays(db: Database, key: SeriesKey, version: number, from: string, to: string) {
  return db.sql.query<ScoredDay>(
    `SELECT s.date::text AS date, s.sales, r.open, r.promo, r.stateholiday, r.schoolholiday
       FROM forecast_scores s
       JOIN rossman_sales r ON r.store = s.store AND r.productname = s.productname AND r.date = s.date
      WHERE s.store = $1 AND s.productname = $2 AND s.model_version = $3 AND s.date BETWEEN $4::date AND $5::date
        AND s.pct_error IS NOT NULL
      ORDER BY s.date`,
    [key.store, key.productname, version, from, to],
  );
}

const rmspeOf = (errors: readonly number[]): WeekError => ({
  rmspe: errors.length ? Math.sqrt(errors.reduce((t, e) => t + e * e, 0) / errors.length) : null,
  days: errors.length,
});

/**
 * The realized RMSPE of `newer` over its scored open days in [from, to], and what `older` would have
 * had on the same days (null rmspe when it cannot be predicted: its model is gone or does not compile).
 */
export async function sameDaysError(
  db: Database,
  key: SeriesKey,
  older: number,
  newer: number,
  from: string,
  to: string,
): Promise<{ older: WeekError; newer: WeekError }> {
  const days = await scoredDays(db, key, newer, from, to);
  const [newerRow] = await db.sql.query<{ rmspe: number | null; days: number }>(
    `SELECT sqrt(avg(pct_error * pct_error)) AS rmspe, count(pct_error)::int AS days FROM forecast_scores
      WHERE store = $1 AND productname = $2 AND model_version = $3 AND date BETWEEN $4::date AND $5::date`,
    [key.store, key.productname, newer, from, to],
  );
  const newerError = { rmspe: newerRow?.rmspe ?? null, days: newerRow?.days ?? 0 };
  const [version] = await db.sql.query<{ id: number }>(
    `SELECT v.id FROM model_versions v JOIN registered_models m ON m.id = v.model_id
      WHERE m.store = $1 AND m.productname = $2 AND v.version = $3`,
    [key.store, key.productname, older],
  );
  if (!version || days.length === 0) return { older: { rmspe: null, days: 0 }, newer: newerError };
  let predictor: Awaited<ReturnType<typeof storedPredictor>>["predictor"];
  try {
    ({ predictor } = await storedPredictor(db, version.id));
  } catch {
    return { older: { rmspe: null, days: 0 }, newer: newerError };
  }
  const plans: PlanDay[] = days.map((d) => ({
    date: d.date,
    open: d.open === 1 ? 1 : 0,
    promo: d.promo === 1 ? 1 : 0,
    stateholiday: d.stateholiday as StateHoliday,
    schoolholiday: d.schoolholiday === 1 ? 1 : 0,
  }));
  const points = forecastWithPredictor(predictor, plans);
  const errors: number[] = [];
  for (const [i, p] of points.entries()) {
    const sales = days[i]!.sales;
    if (sales > 0) errors.push((p.value - sales) / sales);
  }
  return { older: rmspeOf(errors), newer: newerError };
}
