import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import { formatDay, parseDay } from "./days.js";
import type { Database } from "./db.server.js";
import { ValidationError } from "./errors.js";
import {
  type ForecastPoint,
  type HistoryDay,
  InsufficientHistoryError,
  type ModelKind,
  modelConfig,
  type PlanDay,
  planDays,
  type StoredModel,
  type TrainResult,
  weekdayOpenShares,
} from "./model.js";
import type { ModelPool } from "./model-pool.server.js";
import { PipelineRun, type RunKind } from "./pipeline-runs.server.js";
import {
  listProductionVersions,
  NotFoundError,
  productionVersion,
  registerVersion,
  type VersionSummary,
  versionParams,
} from "./registry.server.js";
import type { StateHoliday } from "./rossmann.js";

/** The weekly forecast covers this many days after the newest sales day. */
export const BATCH_HORIZON_DAYS = 7;
export const MAX_ADHOC_DAYS = 365;
/** Series per history chunk in train-all (whole stores; the next chunk loads while this one trains). */
const TRAIN_CHUNK_SERIES = 500;
/** At most this many failed series are listed in a run's counts (all are counted). */
const MAX_LISTED_FAILURES = 200;

export interface SeriesKey {
  store: number;
  productname: string;
}

const seriesId = (s: SeriesKey) => `${s.store}\u0000${s.productname}`;

interface SalesDbRow {
  store: number;
  productname: string;
  date: string;
  sales: number;
  open: number;
  promo: number;
  stateholiday: string;
  schoolholiday: number;
}

function toHistoryDay(r: SalesDbRow): HistoryDay {
  return {
    date: r.date,
    sales: r.sales,
    open: r.open === 1 ? 1 : 0,
    promo: r.promo === 1 ? 1 : 0,
    stateholiday: r.stateholiday as StateHoliday,
    schoolholiday: r.schoolholiday === 1 ? 1 : 0,
  };
}

/** The newest sales date in the database, or null when it is empty. */
async function newestSalesDay(db: Database): Promise<number | null> {
  const [row] = await db.sql.query<{ newest: string | null }>("SELECT max(date)::text AS newest FROM rossman_sales");
  return row?.newest ? (parseDay(row.newest) ?? null) : null;
}

/** Every series' days in (fromDay, toDay], grouped by series, in date order. */
async function loadHistories(
  db: Database,
  fromDay: number,
  toDay: number,
  only: { series: SeriesKey } | { stores: [number, number] },
): Promise<Map<string, { key: SeriesKey; days: HistoryDay[] }>> {
  const [firstStore, lastStore] = "series" in only ? [only.series.store, only.series.store] : only.stores;
  const rows = await db.sql.query<SalesDbRow>(
    `SELECT store, productname, date::text AS date, sales, open, promo, stateholiday, schoolholiday
       FROM rossman_sales
      WHERE date > $1::date AND date <= $2::date AND store BETWEEN $3::int AND $4::int
        AND ($5::text IS NULL OR productname = $5::text)
      ORDER BY store, productname, date`,
    [formatDay(fromDay), formatDay(toDay), firstStore, lastStore, "series" in only ? only.series.productname : null],
  );
  const out = new Map<string, { key: SeriesKey; days: HistoryDay[] }>();
  for (const r of rows) {
    const id = seriesId(r);
    let entry = out.get(id);
    if (!entry) {
      entry = { key: { store: r.store, productname: r.productname }, days: [] };
      out.set(id, entry);
    }
    entry.days.push(toHistoryDay(r));
  }
  return out;
}

/** Every series with sales in (fromDay, toDay], in store and product order. */
async function listSeries(db: Database, fromDay: number, toDay: number): Promise<SeriesKey[]> {
  return db.sql.query<SeriesKey>(
    `SELECT store, productname FROM rossman_sales
      WHERE date > $1::date AND date <= $2::date
      GROUP BY store, productname ORDER BY store, productname`,
    [formatDay(fromDay), formatDay(toDay)],
  );
}

/**
 * Whole stores, about `size` series at a time: train-all holds one chunk's history (and the
 * next one's, prefetched) rather than every series', so memory stays flat as series grow.
 */
function storeChunks(keys: readonly SeriesKey[], size: number): { stores: [number, number]; count: number }[] {
  const chunks: { stores: [number, number]; count: number }[] = [];
  for (const key of keys) {
    const last = chunks.at(-1);
    if (last && (last.count < size || last.stores[1] === key.store)) {
      last.stores[1] = key.store;
      last.count++;
    } else {
      chunks.push({ stores: [key.store, key.store], count: 1 });
    }
  }
  return chunks;
}

/** The store calendar (plans) for [fromDay, toDay], by store then date. */
type CalendarDbRow = Omit<SalesDbRow, "productname" | "sales">;

function toPlanDay(r: Omit<CalendarDbRow, "store">): PlanDay {
  return {
    date: r.date,
    open: r.open === 1 ? 1 : 0,
    promo: r.promo === 1 ? 1 : 0,
    stateholiday: r.stateholiday as StateHoliday,
    schoolholiday: r.schoolholiday === 1 ? 1 : 0,
  };
}

async function loadCalendars(
  db: Database,
  fromDay: number,
  toDay: number,
  store?: number,
): Promise<Map<number, Map<string, PlanDay>>> {
  const rows = await db.sql.query<CalendarDbRow>(
    `SELECT store, date::text AS date, open, promo, stateholiday, schoolholiday
       FROM store_calendar
      WHERE date >= $1::date AND date <= $2::date AND ($3::int IS NULL OR store = $3::int)`,
    [formatDay(fromDay), formatDay(toDay), store ?? null],
  );
  const out = new Map<number, Map<string, PlanDay>>();
  for (const r of rows) {
    let plans = out.get(r.store);
    if (!plans) {
      plans = new Map();
      out.set(r.store, plans);
    }
    plans.set(r.date, toPlanDay(r));
  }
  return out;
}

const EMPTY_PLAN: ReadonlyMap<string, PlanDay> = new Map();

function dateRange(fromDay: number, days: number): string[] {
  return Array.from({ length: days }, (_, i) => formatDay(fromDay + i));
}

/** Writes a series' forecast rows; re-writing the same model version replaces them. */
async function writeForecast(
  db: Database,
  key: SeriesKey,
  version: VersionSummary,
  points: ForecastPoint[],
  pipelineRunId: number | null,
): Promise<void> {
  if (points.length === 0) return;
  await db.sql.query(
    `INSERT INTO forecast_results
       (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, pipeline_run_id)
     SELECT $1::int, $2::text, d, v, l, u, $3::text, $4::int, $5::int
       FROM unnest($6::date[], $7::float8[], $8::float8[], $9::float8[]) AS t(d, v, l, u)
     ON CONFLICT (store, productname, forecast_date, model_version) DO UPDATE SET
       forecast_sale = EXCLUDED.forecast_sale, lower_ci = EXCLUDED.lower_ci, upper_ci = EXCLUDED.upper_ci,
       created_on = now(), pipeline_run_id = EXCLUDED.pipeline_run_id`,
    [
      key.store,
      key.productname,
      version.name,
      version.version,
      pipelineRunId,
      points.map((p) => p.date),
      points.map((p) => p.value),
      points.map((p) => p.lower),
      points.map((p) => p.upper),
    ],
  );
}

async function register(
  db: Database,
  key: SeriesKey,
  result: TrainResult,
  pipelineRunId: number | null,
): Promise<VersionSummary> {
  return registerVersion(db, {
    store: key.store,
    productname: key.productname,
    config: result.model.config,
    params: result.model,
    trainStart: result.trainStart,
    trainEnd: result.trainEnd,
    trainRows: result.trainRows,
    cv: result.cv,
    durationMs: Math.round(result.durationMs),
    pipelineRunId,
  });
}

/**
 * Runs a pipeline's work and ends its run: STOPPED when aborted, SUCCEEDED otherwise (with the
 * work's note, e.g. when there was nothing to do), FAILED and rethrown when the work throws.
 */
async function settleRun<R extends { status: "SUCCEEDED" | "FAILED" | "STOPPED"; durationMs: number }>(
  run: PipelineRun,
  result: R,
  started: number,
  signal: AbortSignal | undefined,
  work: () => Promise<string | undefined>,
): Promise<R> {
  try {
    const note = await work();
    if (signal?.aborted) result.status = "STOPPED";
    result.durationMs = Date.now() - started;
    await run.finish(result.status === "STOPPED" ? "STOPPED" : "SUCCEEDED", {
      counts: note ? { ...result, note } : result,
    });
    return result;
  } catch (err) {
    result.status = "FAILED";
    result.durationMs = Date.now() - started;
    await run.finish("FAILED", { counts: result, error: (err as Error).message });
    throw err;
  }
}

export interface TrainAllOptions {
  kind?: ModelKind;
  /** Recorded as the run's kind: the weekly schedule and an on-demand train-all differ only in name. */
  runKind?: Extract<RunKind, "train-all" | "train-weekly">;
  jobId?: string;
  /** Called as series finish, for job progress (the run row is updated too). */
  onProgress?: (done: number, total: number) => void;
  /** Stops taking new series when aborted; the run ends STOPPED. */
  signal?: AbortSignal;
}

export interface FailedSeries extends SeriesKey {
  reason: string;
}

export interface TrainAllResult {
  runId: number;
  status: "SUCCEEDED" | "FAILED" | "STOPPED";
  series: number;
  trained: number;
  skipped: number;
  failed: number;
  excludedDays: number;
  forecastRows: number;
  failures: FailedSeries[];
  forecastFrom: string | null;
  forecastTo: string | null;
  durationMs: number;
}

/**
 * The weekly pipeline: for every series with sales in the last `trainDays` days, fit,
 * cross-validate, register a new production version, and write the next 7 days into
 * `forecast_results`. A series that cannot be trained is recorded and does not fail the run.
 */
export async function trainAll(db: Database, pool: ModelPool, opts: TrainAllOptions = {}): Promise<TrainAllResult> {
  const config = modelConfig(opts.kind ?? "default");
  const started = Date.now();
  const run = await PipelineRun.start(db, opts.runKind ?? "train-all", {
    params: { model: config.kind, trainDays: config.trainDays },
    jobId: opts.jobId,
  });
  const result: TrainAllResult = {
    runId: run.id,
    status: "SUCCEEDED",
    series: 0,
    trained: 0,
    skipped: 0,
    failed: 0,
    excludedDays: 0,
    forecastRows: 0,
    failures: [],
    forecastFrom: null,
    forecastTo: null,
    durationMs: 0,
  };
  const fail = (key: SeriesKey, reason: string, skipped: boolean) => {
    if (skipped) result.skipped++;
    else result.failed++;
    if (result.failures.length < MAX_LISTED_FAILURES) result.failures.push({ ...key, reason });
  };
  return settleRun(run, result, started, opts.signal, async () => {
    const newest = await newestSalesDay(db);
    if (newest === null) return "no sales history";
    const firstForecastDay = newest + 1;
    result.forecastFrom = formatDay(firstForecastDay);
    result.forecastTo = formatDay(firstForecastDay + BATCH_HORIZON_DAYS - 1);
    const forecastDates = dateRange(firstForecastDay, BATCH_HORIZON_DAYS);
    const fromDay = newest - config.trainDays;
    const [keys, calendars] = await run.step("load", () =>
      Promise.all([
        listSeries(db, fromDay, newest),
        loadCalendars(db, firstForecastDay, firstForecastDay + BATCH_HORIZON_DAYS - 1),
      ]),
    );
    result.series = keys.length;
    await run.progress(0, keys.length);

    let done = 0;
    const trainChunk = async (series: { key: SeriesKey; days: HistoryDay[] }[]) => {
      let next = 0;
      const worker = async () => {
        while (next < series.length && !opts.signal?.aborted) {
          const { key, days } = series[next++]!;
          try {
            const future = planDays(
              forecastDates,
              calendars.get(key.store) ?? EMPTY_PLAN,
              weekdayOpenShares(days, config),
            );
            const trained = await pool.train(days, config, { future });
            result.excludedDays += trained.excluded;
            const version = await register(db, key, trained, run.id);
            await writeForecast(db, key, version, trained.forecast ?? [], run.id);
            result.forecastRows += trained.forecast?.length ?? 0;
            result.trained++;
          } catch (err) {
            fail(key, (err as Error).message, err instanceof InsufficientHistoryError);
          }
          done++;
          opts.onProgress?.(done, keys.length);
          void run.progress(done, keys.length);
        }
      };
      // Twice the threads: while one series waits on the database, its thread has the next one.
      await Promise.all(Array.from({ length: Math.max(1, pool.threads * 2) }, worker));
    };
    const chunks = storeChunks(keys, TRAIN_CHUNK_SERIES);
    const load = (i: number) => {
      const chunk = chunks[i];
      return chunk ? loadHistories(db, fromDay, newest, { stores: chunk.stores }) : Promise.resolve(null);
    };
    await run.step("train", async () => {
      let pending = load(0);
      for (let i = 0; i < chunks.length && !opts.signal?.aborted; i++) {
        const histories = await pending;
        pending = load(i + 1);
        await trainChunk([...(histories?.values() ?? [])]);
      }
      await pending;
    });
  });
}

/** NotFoundError naming the store, or the product of a known store, when the series has no sales. */
export async function assertSeriesExists(db: Database, key: SeriesKey): Promise<void> {
  const [row] = await db.sql.query<{ store: boolean; product: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM rossman_sales WHERE store = $1) AS store,
            EXISTS (SELECT 1 FROM rossman_sales WHERE store = $1 AND productname = $2) AS product`,
    [key.store, key.productname],
  );
  if (!row?.store) throw new NotFoundError("store", `unknown store ${key.store}`);
  if (!row.product) throw new NotFoundError("product", `store ${key.store} has no product ${key.productname}`);
}

export interface TrainOneResult {
  runId: number;
  version: VersionSummary;
  train: Omit<TrainResult, "model">;
}

/**
 * Retrains one series on its latest data: fit, cross-validate, register (the new version
 * becomes production) and refresh its 7-day forecast, recorded as a `retrain` run.
 */
export async function trainOne(
  db: Database,
  pool: ModelPool,
  key: SeriesKey,
  opts: { kind?: ModelKind; jobId?: string } = {},
): Promise<TrainOneResult> {
  await assertSeriesExists(db, key);
  const config = modelConfig(opts.kind ?? "default");
  const run = await PipelineRun.start(db, "retrain", { params: { ...key, model: config.kind }, jobId: opts.jobId });
  try {
    const newest = await newestSalesDay(db);
    const histories = await run.step("load", () =>
      loadHistories(db, (newest ?? 0) - config.trainDays, newest ?? 0, { series: key }),
    );
    const days = histories.get(seriesId(key))?.days ?? [];
    const firstForecastDay = (newest ?? 0) + 1;
    const calendars = await loadCalendars(db, firstForecastDay, firstForecastDay + BATCH_HORIZON_DAYS - 1, key.store);
    const future = planDays(
      dateRange(firstForecastDay, BATCH_HORIZON_DAYS),
      calendars.get(key.store) ?? EMPTY_PLAN,
      weekdayOpenShares(days, config),
    );
    const trained = await run.step("fit", () => pool.train(days, config, { future }));
    const version = await run.step("register", () => register(db, key, trained, run.id));
    await run.step("forecast", () => writeForecast(db, key, version, trained.forecast ?? [], run.id));
    const { model: _model, ...train } = trained;
    await run.finish("SUCCEEDED", {
      counts: { ...key, version: version.version, trainRows: trained.trainRows, excludedDays: trained.excluded },
    });
    return { runId: run.id, version, train };
  } catch (err) {
    await run.finish("FAILED", { error: (err as Error).message });
    throw err;
  }
}

export interface BatchForecastResult {
  runId: number;
  status: "SUCCEEDED" | "FAILED" | "STOPPED";
  /** Series with a production version. */
  series: number;
  forecast: number;
  failed: number;
  forecastRows: number;
  failures: FailedSeries[];
  forecastFrom: string | null;
  forecastTo: string | null;
  durationMs: number;
}

/**
 * Re-forecasts the 7 days after the newest sales day for every series from its production
 * version, without refitting (the stored model and the store calendar, as an ad-hoc forecast),
 * and writes them into `forecast_results`; recorded as a `batch-forecast` run. A series that
 * fails is counted and listed; the run goes on.
 */
export async function batchForecast(
  db: Database,
  pool: ModelPool,
  opts: Pick<TrainAllOptions, "jobId" | "onProgress" | "signal"> = {},
): Promise<BatchForecastResult> {
  const started = Date.now();
  const run = await PipelineRun.start(db, "batch-forecast", {
    params: { horizonDays: BATCH_HORIZON_DAYS },
    jobId: opts.jobId,
  });
  const result: BatchForecastResult = {
    runId: run.id,
    status: "SUCCEEDED",
    series: 0,
    forecast: 0,
    failed: 0,
    forecastRows: 0,
    failures: [],
    forecastFrom: null,
    forecastTo: null,
    durationMs: 0,
  };
  return settleRun(run, result, started, opts.signal, async () => {
    const newest = await newestSalesDay(db);
    if (newest === null) return "no sales history";
    const firstDay = newest + 1;
    const dates = dateRange(firstDay, BATCH_HORIZON_DAYS);
    result.forecastFrom = dates[0]!;
    result.forecastTo = dates.at(-1)!;
    const [keys, calendars] = await run.step("load", () =>
      Promise.all([listProductionVersions(db), loadCalendars(db, firstDay, firstDay + BATCH_HORIZON_DAYS - 1)]),
    );
    result.series = keys.length;
    await run.progress(0, keys.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < keys.length && !opts.signal?.aborted) {
        const key: SeriesKey = { store: keys[next]!.store, productname: keys[next++]!.productname };
        try {
          const version = await productionVersion(db, key.store, key.productname);
          if (!version) throw new Error("no production version any more");
          const model = version.params as StoredModel;
          const plan = planDays(dates, calendars.get(key.store) ?? EMPTY_PLAN, model.weekdayOpen);
          const points = await pool.predict(model, plan);
          await writeForecast(db, key, version, points, run.id);
          result.forecast++;
          result.forecastRows += points.length;
        } catch (err) {
          result.failed++;
          if (result.failures.length < MAX_LISTED_FAILURES)
            result.failures.push({ ...key, reason: (err as Error).message });
        }
        done++;
        opts.onProgress?.(done, keys.length);
        void run.progress(done, keys.length);
      }
    };
    await run.step("forecast", () => Promise.all(Array.from({ length: Math.max(1, pool.threads * 2) }, worker)));
  });
}

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

// Versions are immutable, so their parsed models can be kept; the production lookup itself is not
// cached (a promote on another replica must take effect at once). Per database: ids repeat across
// databases (tests open several in one process).
interface ModelCache {
  /** Names this database in the model threads' cache keys. */
  key: string;
  models: LRUCache<number, StoredModel>;
}
const modelCaches = new WeakMap<Database, ModelCache>();

async function storedModel(db: Database, versionId: number): Promise<{ model: StoredModel; key: string }> {
  let cache = modelCaches.get(db);
  if (!cache) {
    cache = { key: randomUUID(), models: new LRUCache({ max: 2048 }) };
    modelCaches.set(db, cache);
  }
  let model = cache.models.get(versionId);
  if (!model) {
    const params = await versionParams(db, versionId);
    if (!params) throw new Error(`model version ${versionId} has no params`);
    model = params as StoredModel;
    cache.models.set(versionId, model);
  }
  return { model, key: `${cache.key}:${versionId}` };
}

// Forecasts of one version for one plan, kept: the inputs never change, and the same questions
// (this week, next week) come again and again. Sized in points, about 100 bytes each.
const adhocResults = new LRUCache<string, ForecastPoint[]>({
  maxSize: 200_000,
  sizeCalculation: (points) => Math.max(1, points.length),
});

/** What an ad-hoc forecast reads, in one round trip: the hot path of the forecast API. */
interface AdhocInputs {
  id: number;
  name: string;
  version: number;
  calendar: Omit<CalendarDbRow, "store">[] | null;
}

/** Predicts any range from the production version of a series. Nothing is stored. */
export async function adhocForecast(db: Database, pool: ModelPool, req: ForecastRequest): Promise<AdhocForecast> {
  const { fromDay, days } = validateRange(req.begin, req.end);
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
  const { model, key } = await storedModel(db, inputs.id);
  const calendar = new Map((inputs.calendar ?? []).map((r) => [r.date, toPlanDay(r)]));
  const plan = planDays(dateRange(fromDay, days), calendar, model.weekdayOpen);
  const resultKey = `${key}:${plan.map((d) => `${d.date}${d.open}${d.promo}${d.stateholiday}${d.schoolholiday}`).join()}`;
  let points = adhocResults.get(resultKey);
  if (!points) {
    points = await pool.predict(model, plan, key);
    adhocResults.set(resultKey, points);
  }
  return { modelName: inputs.name, modelVersion: inputs.version, points: structuredClone(points) };
}

export interface WeeklyForecast {
  modelName: string;
  modelVersion: number;
  createdOn: Date;
  points: ForecastPoint[];
}

/** The newest weekly forecast of a series (the rows the latest run or retrain wrote). */
export async function latestForecast(db: Database, key: SeriesKey): Promise<WeeklyForecast | null> {
  const rows = await db.sql.query<{
    forecast_date: string;
    forecast_sale: number;
    lower_ci: number;
    upper_ci: number;
    model_name: string;
    model_version: number;
    created_on: Date;
  }>(
    `WITH latest AS (
       SELECT model_version FROM forecast_results
        WHERE store = $1 AND productname = $2 ORDER BY created_on DESC, model_version DESC LIMIT 1)
     SELECT forecast_date::text AS forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, created_on
       FROM forecast_results
      WHERE store = $1 AND productname = $2 AND model_version = (SELECT model_version FROM latest)
      ORDER BY forecast_date`,
    [key.store, key.productname],
  );
  const first = rows[0];
  if (!first) return null;
  return {
    modelName: first.model_name,
    modelVersion: first.model_version,
    createdOn: new Date(first.created_on),
    points: rows.map((r) => ({ date: r.forecast_date, value: r.forecast_sale, lower: r.lower_ci, upper: r.upper_ci })),
  };
}
