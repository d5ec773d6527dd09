/**
 * Many ad-hoc forecasts in one go (the reference batch route: up to every series of the chain at
 * once), each for its own series and days, answered in request order. Set-based: one query for the
 * production versions of every series asked, one for the store calendars of every range asked, one
 * for the versions' models not yet compiled, then the predicting in the model threads, in chunks. A series with no production model is an error in its
 * place (the caller decides what that means for the others).
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { formatDay } from "../days.js";
import { NotFoundError } from "../errors.js";
import type { ForecastPoint, PlanDay } from "../model/config.js";
import { planDays } from "../model/plan.js";
import type { ModelPool, PredictItem } from "../model/pool.server.js";
import type { Database } from "../platform/db.server.js";
import { type SeriesKey, seriesId } from "../series.js";
import { type AdhocForecast, answerKey, keepAnswer, keptAnswer } from "./adhoc.server.js";
import { assertBatchPoints, batchPoints, type ForecastBudget, inModelThreads } from "./budget.server.js";
import { assertInWindow } from "./forecast-window.js";
import { forecastWindow } from "./forecast-window.server.js";
import { storedPredictors, versionKey } from "./model-cache.server.js";
import { type CalendarDbRow, dateRange, EMPTY_PLAN, missingSeries, toPlanDay } from "./series-data.server.js";

export interface RangeRequest extends SeriesKey {
  fromDay: number;
  /** 0 (the model is named, nothing predicted) up to MAX_ADHOC_DAYS. */
  days: number;
}

/** A forecast, or why there is none (NotFoundError: store, product or model). */
export type RangeAnswer = AdhocForecast | NotFoundError;

interface ProductionRow {
  store: number;
  productname: string;
  name: string;
  id: number;
  version: number;
}

/**
 * Items (or calendar rows) handled between two turns of the event loop: a 100,000-point batch is
 * tens of thousands of them, and done in one go they held the loop for ~0.3 s (other requests, the
 * probes and the metrics waited).
 */
const TURN = 1024;

/** The production version of each distinct series asked, by series id. */
async function productionVersions(db: Database, keys: readonly SeriesKey[]): Promise<Map<string, ProductionRow>> {
  const rows = await db.sql.query<ProductionRow>(
    `SELECT m.store, m.productname, m.name, v.id, v.version
       FROM unnest($1::int[], $2::text[]) AS t(store, productname)
       JOIN registered_models m ON m.store = t.store AND m.productname = t.productname
       JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'`,
    [keys.map((k) => k.store), keys.map((k) => k.productname)],
  );
  return new Map(rows.map((r) => [seriesId(r), r]));
}

/** Why each series with no production version has none: an unknown store, product, or no model yet. */
async function reasons(db: Database, keys: readonly SeriesKey[]): Promise<Map<string, NotFoundError>> {
  const out = new Map<string, NotFoundError>(
    keys.map((k) => [
      seriesId(k),
      new NotFoundError("model", `no trained model for store ${k.store} ${k.productname} yet`),
    ]),
  );
  for (const { key, storeKnown } of await missingSeries(db, keys)) {
    out.set(
      seriesId(key),
      storeKnown
        ? new NotFoundError("product", `store ${key.store} has no product ${key.productname}`)
        : new NotFoundError("store", `unknown store ${key.store}`),
    );
  }
  return out;
}

/** The calendar of every (store, range) asked, in one query; keyed `store:fromDay:days`. */
async function calendars(
  db: Database,
  asks: readonly { store: number; fromDay: number; days: number }[],
): Promise<Map<string, Map<string, PlanDay>>> {
  const rows = await db.sql.query<CalendarDbRow & { k: string }>(
    `SELECT t.k, c.store, c.date::text AS date, c.open, c.promo, c.stateholiday, c.schoolholiday
       FROM unnest($1::text[], $2::int[], $3::date[], $4::date[]) AS t(k, store, first, last)
       JOIN store_calendar c ON c.store = t.store AND c.date >= t.first AND c.date <= t.last`,
    [
      asks.map((a) => `${a.store}:${a.fromDay}:${a.days}`),
      asks.map((a) => a.store),
      asks.map((a) => formatDay(a.fromDay)),
      asks.map((a) => formatDay(a.fromDay + a.days - 1)),
    ],
  );
  const out = new Map<string, Map<string, PlanDay>>();
  let n = 0;
  for (const r of rows) {
    if (++n % TURN === 0) await nextTurn();
    let plans = out.get(r.k);
    if (!plans) {
      plans = new Map();
      out.set(r.k, plans);
    }
    plans.set(r.date, toPlanDay(r));
  }
  return out;
}

/**
 * Forecasts every request from its series' production version; nothing is stored. The caller checks
 * the budget first and answers in its own words (the reference route: 422 issues, 413); here it is
 * checked again, before any query: every range in the forecast window (OutOfWindowError naming
 * `[i].begin` or `[i].end`), at most `maxPoints` points in all (BatchTooLargeError).
 */
export async function adhocForecastMany(
  db: Database,
  pool: ModelPool,
  requests: readonly RangeRequest[],
  budget: ForecastBudget & { maxPoints?: number } = {},
): Promise<RangeAnswer[]> {
  assertBatchPoints(batchPoints(requests), budget.maxPoints);
  const window = await forecastWindow(db, budget.horizonDays);
  requests.forEach((r, i) => {
    assertInWindow(window, r.fromDay, r.days, { begin: `[${i}].begin`, end: `[${i}].end` });
  });
  const distinct = new Map<string, SeriesKey>();
  for (const r of requests) distinct.set(seriesId(r), { store: r.store, productname: r.productname });
  const versions = await productionVersions(db, [...distinct.values()]);
  const unversioned = [...distinct].filter(([id]) => !versions.has(id)).map(([, k]) => k);
  const errors = unversioned.length > 0 ? await reasons(db, unversioned) : new Map<string, NotFoundError>();

  const asks = new Map<string, { store: number; fromDay: number; days: number }>();
  for (const r of requests) {
    if (r.days > 0 && versions.has(seriesId(r))) {
      asks.set(`${r.store}:${r.fromDay}:${r.days}`, { store: r.store, fromDay: r.fromDay, days: r.days });
    }
  }
  const plans = asks.size > 0 ? await calendars(db, [...asks.values()]) : new Map<string, Map<string, PlanDay>>();

  // The same series and days asked twice (10 clients' copies of one batch) are predicted once.
  const predictors = await storedPredictors(db, [...new Set([...versions.values()].map((v) => v.id))]);
  const jobs = new Map<string, { items: PredictItem | null; error?: Error; answer: string }>();
  const jobKey = (r: RangeRequest, versionId: number) => `${versionId}:${r.fromDay}:${r.days}`;
  let n = 0;
  for (const r of requests) {
    if (++n % TURN === 0) await nextTurn();
    const v = versions.get(seriesId(r));
    if (!v || r.days === 0) continue;
    const key = jobKey(r, v.id);
    if (jobs.has(key)) continue;
    const predictor = predictors.get(v.id);
    if (!predictor || predictor instanceof Error) {
      const error = predictor ?? new Error(`version ${v.id} not loaded`);
      jobs.set(key, { items: null, error, answer: "" });
      continue;
    }
    const calendar = plans.get(`${r.store}:${r.fromDay}:${r.days}`) ?? EMPTY_PLAN;
    const days = planDays(dateRange(r.fromDay, r.days), calendar, predictor.weekdayOpen);
    jobs.set(key, { items: { predictor, days }, answer: answerKey(versionKey(db, v.id), days) });
  }
  // Answers kept from earlier questions (this route's or the forecast API's) are not predicted again.
  const pointsOf = new Map<string, ForecastPoint[]>();
  const runnable: [string, { items: PredictItem; answer: string }][] = [];
  for (const [key, job] of jobs) {
    if (!job.items) continue;
    const kept = keptAnswer(job.answer);
    if (kept) pointsOf.set(key, kept);
    else runnable.push([key, { items: job.items, answer: job.answer }]);
  }
  const points = await inModelThreads(() =>
    pool.predictMany(
      runnable.map(([, j]) => j.items),
      { client: budget.client, signal: budget.signal },
    ),
  );
  runnable.forEach(([key, job], i) => {
    pointsOf.set(key, points[i]!);
    keepAnswer(job.answer, points[i]!);
  });

  return requests.map((r): RangeAnswer => {
    const id = seriesId(r);
    const v = versions.get(id);
    if (!v) return errors.get(id)!;
    if (r.days === 0) return { modelName: v.name, modelVersion: v.version, points: [] };
    const key = jobKey(r, v.id);
    const error = jobs.get(key)?.error;
    if (error) throw error;
    return { modelName: v.name, modelVersion: v.version, points: pointsOf.get(key)! };
  });
}
