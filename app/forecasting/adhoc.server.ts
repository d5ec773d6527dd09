/**
 * Ad-hoc forecasts: any range (at most a year, within the forecast window) predicted from the
 * production version of a series and the store calendar, never stored. The hot path of the forecast
 * API: one prepared query, the compiled predictor kept per version, and finished answers kept per
 * version and plan.
 */
import { LRUCache } from "lru-cache";
import { formatDay, parseDay } from "../days.js";
import { NotFoundError, ValidationError } from "../errors.js";
import type { ForecastPoint, PlanDay } from "../model/config.js";
import { planDays } from "../model/plan.js";
import type { ModelPool } from "../model/pool.server.js";
import { forecastCost, forecastWithPredictor } from "../model/predictor.js";
import type { Database } from "../platform/db.server.js";
import type { SeriesKey } from "../series.js";
import { type ForecastBudget, inModelThreads } from "./budget.server.js";
import { assertInWindow } from "./forecast-window.js";
import { forecastWindow } from "./forecast-window.server.js";
import { storedPredictor } from "./model-cache.server.js";
import { assertSeriesExists, type CalendarDbRow, dateRange, toPlanDay } from "./series-data.server.js";

export const MAX_ADHOC_DAYS = 365;

/**
 * Forecasts costing at most this (forecastCost: any week, or two weeks near the history; under
 * a millisecond) are computed on the request's thread: handing one to a model thread (cloning its predictor, waking the thread) cost
 * the main thread about as much as computing it.
 */
export const INLINE_MAX_COST = 32;

export interface ForecastRequest extends SeriesKey {
  /** YYYY-MM-DD, inclusive. */
  begin: string;
  /** YYYY-MM-DD, inclusive. */
  end: string;
}

export interface AdhocForecast {
  modelName: string;
  modelVersion: number;
  points: ForecastPoint[];
}

/** Checks an ad-hoc range: real dates, begin not after end, at most MAX_ADHOC_DAYS days. */
export function validateRange(begin: string, end: string): { fromDay: number; days: number } {
  const fromDay = parseDay(begin);
  if (fromDay === undefined)
    throw new ValidationError("begin_date", `begin date must be a real YYYY-MM-DD date, got "${begin}"`);
  const toDay = parseDay(end);
  if (toDay === undefined)
    throw new ValidationError("end_date", `end date must be a real YYYY-MM-DD date, got "${end}"`);
  if (fromDay > toDay) throw new ValidationError("end_date", `end date ${end} is before begin date ${begin}`);
  const days = toDay - fromDay + 1;
  if (days > MAX_ADHOC_DAYS) {
    throw new ValidationError("end_date", `a forecast covers at most ${MAX_ADHOC_DAYS} days, asked for ${days}`);
  }
  return { fromDay, days };
}

// Forecasts of one version for one plan, kept: the inputs never change, and the same questions
// (this week, next week) come again and again. Sized in points, about 100 bytes each.
const adhocResults = new LRUCache<string, ForecastPoint[]>({
  maxSize: 200_000,
  sizeCalculation: (points) => Math.max(1, points.length),
});

/** The kept answers' key: a version (versionKey) and the plan it was asked for. */
export const answerKey = (version: string, plan: readonly PlanDay[]): string =>
  `${version}:${plan.map((d) => `${d.date}${d.open}${d.promo}${d.stateholiday}${d.schoolholiday}`).join()}`;

/** A kept answer (shared: copy before changing it), or undefined. */
export const keptAnswer = (key: string): ForecastPoint[] | undefined => adhocResults.get(key);

export function keepAnswer(key: string, points: ForecastPoint[]): void {
  adhocResults.set(key, points);
}

/** What an ad-hoc forecast reads, in one round trip: the hot path of the forecast API. */
interface AdhocInputs {
  id: number;
  name: string;
  version: number;
  calendar: Omit<CalendarDbRow, "store">[] | null;
}

/**
 * Predicts any range from the production version of a series. Nothing is stored. A date outside
 * the forecast window throws OutOfWindowError before anything is read or predicted.
 */
export async function adhocForecast(
  db: Database,
  pool: ModelPool,
  req: ForecastRequest,
  budget: ForecastBudget = {},
): Promise<AdhocForecast> {
  const { fromDay, days } = validateRange(req.begin, req.end);
  assertInWindow(await forecastWindow(db, budget.horizonDays), fromDay, days);
  const [inputs] = await db.sql.query<AdhocInputs>(
    `SELECT v.id, m.name, v.version,
            (SELECT json_agg(json_build_object('date', c.date::text, 'open', c.open, 'promo', c.promo,
                                               'stateholiday', c.stateholiday, 'schoolholiday', c.schoolholiday))
               FROM store_calendar c
              WHERE c.store = m.store AND c.date >= $3::date AND c.date <= $4::date) AS calendar
       FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
      WHERE m.store = $1 AND m.productname = $2`,
    [req.store, req.productname, formatDay(fromDay), formatDay(fromDay + days - 1)],
    { prepare: "adhoc-forecast-inputs" },
  );
  if (!inputs) {
    await assertSeriesExists(db, req);
    throw new NotFoundError("model", `no trained model for store ${req.store} ${req.productname} yet`);
  }
  const { predictor, key } = await storedPredictor(db, inputs.id);
  const calendar = new Map((inputs.calendar ?? []).map((r) => [r.date, toPlanDay(r)]));
  const plan = planDays(dateRange(fromDay, days), calendar, predictor.weekdayOpen);
  const resultKey = answerKey(key, plan);
  let points = adhocResults.get(resultKey);
  if (!points) {
    if (forecastCost(predictor, plan) <= INLINE_MAX_COST) {
      points = forecastWithPredictor(predictor, plan);
    } else {
      // In a thread: a year's forecast is ~1,000 draws for each of 365 days, too long for the event loop.
      const budgeted = { client: budget.client, signal: budget.signal };
      [points] = (await inModelThreads(() => pool.predictMany([{ predictor, days: plan }], budgeted))) as [
        ForecastPoint[],
      ];
    }
    adhocResults.set(resultKey, points);
  }
  return { modelName: inputs.name, modelVersion: inputs.version, points: structuredClone(points) };
}
