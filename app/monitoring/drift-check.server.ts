/**
 * The daily drift check (docs/decisions/0029): for every series in production, its realized error
 * over the recent window against its CV error, its weekly bias, and a level shift in its sales
 * (drift-rules.ts, level-shift.server.ts), read set-based from forecast_scores and rossman_sales;
 * each series' state and reasons stored in series_drift. What the retraining policy then does with
 * the degraded ones is auto-retrain.server.ts.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { formatDay, parseDay } from "../days.js";
import type { Database } from "../platform/db.server.js";
import { type SeriesKey, seriesId } from "../series.js";
// Registers the gauge this module's count feeds (storecast_degraded_series) wherever it is loaded.
import "./metrics.server.js";
import { assessDrift, DEFAULT_DRIFT, type DriftReason, type DriftSettings, type WeekBias } from "./drift-rules.js";
import { DEFAULT_LEVEL_SHIFT, detectLevelShift, type LevelShiftSettings, type SalesDay } from "./level-shift.server.js";

export interface DriftCheckSettings {
  rules: DriftSettings;
  levelShift: LevelShiftSettings;
  /** Days of scores the error rule looks at, ending at the newest scored day. */
  windowDays: number;
  /** Days of sales the level-shift detector reads. */
  salesDays: number;
}

export const DEFAULT_DRIFT_CHECK: DriftCheckSettings = {
  rules: DEFAULT_DRIFT,
  levelShift: DEFAULT_LEVEL_SHIFT,
  windowDays: 7,
  salesDays: 56,
};

export interface SeriesDriftResult extends SeriesKey {
  reasons: DriftReason[];
  realizedRmspe: number | null;
  cvRmspe: number | null;
  days: number;
}

export interface DriftCheck {
  /** The newest day with actuals the check looked at (null: no sales at all). */
  asOf: string | null;
  checked: number;
  degraded: SeriesDriftResult[];
}

interface RecentRow {
  store: number;
  productname: string;
  rmspe: number | null;
  days: number;
  cv_rmspe: number | null;
}

interface WeekRow {
  store: number;
  productname: string;
  week: string;
  bias: number | null;
  days: number;
}

interface DailyRow {
  store: number;
  productname: string;
  date: string;
  pct_error: number;
  promo: boolean;
}

interface SalesRow {
  store: number;
  productname: string;
  date: string;
  sales: number;
  open: number;
}

/** Mean signed % error of scored days (null: none). */
const meanError = (xs: readonly DailyRow[]) => (xs.length ? xs.reduce((t, d) => t + d.pct_error, 0) / xs.length : null);

function group<T extends SeriesKey>(rows: readonly T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const id = seriesId(r);
    const list = out.get(id);
    if (list) list.push(r);
    else out.set(id, [r]);
  }
  return out;
}

/**
 * Assesses every series in production as of the newest sales day; stores and returns the states.
 * The scores are those of whichever version was in production on each day: counting only the
 * current version's blinded the check for the first days after every weekly training.
 */
export async function runDriftCheck(
  db: Pick<Database, "sql">,
  settings: DriftCheckSettings = DEFAULT_DRIFT_CHECK,
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<DriftCheck> {
  const [newest] = await db.sql.query<{ d: string | null }>("SELECT max(date)::text AS d FROM rossman_sales");
  const asOf = newest?.d ?? null;
  const asOfDay = asOf === null ? undefined : parseDay(asOf);
  if (asOf === null || asOfDay === undefined) return { asOf, checked: 0, degraded: [] };

  const series = await db.sql.query<SeriesKey & { train_end: string | null }>(
    `SELECT m.store, m.productname, v.train_end::text AS train_end FROM registered_models m
       JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
      ORDER BY m.store, m.productname`,
  );
  const windowFirst = formatDay(asOfDay - settings.windowDays + 1);
  const recent = await db.sql.query<RecentRow>(
    `SELECT store, productname,
            sqrt(avg(pct_error * pct_error)) AS rmspe,
            count(pct_error)::int AS days,
            (array_agg(cv_rmspe ORDER BY date DESC))[1] AS cv_rmspe
       FROM forecast_scores fs
      WHERE date BETWEEN $1::date AND $2::date
      GROUP BY store, productname`,
    [windowFirst, asOf],
  );
  // Whole weeks (Monday first) back from the newest: enough for the bias rule's run of weeks.
  const weeksFirst = formatDay(asOfDay - 7 * (settings.rules.biasWeeks + 2));
  const weeks = await db.sql.query<WeekRow>(
    `SELECT store, productname, to_char(date_trunc('week', date), 'YYYY-MM-DD') AS week,
            avg(pct_error) AS bias, count(pct_error)::int AS days
       FROM forecast_scores fs
      WHERE date BETWEEN $1::date AND $2::date
      GROUP BY store, productname, 3
      ORDER BY store, productname, 3`,
    [weeksFirst, asOf],
  );
  const sales = await db.sql.query<SalesRow>(
    `SELECT store, productname, date::text AS date, sales, open FROM rossman_sales
      WHERE date BETWEEN $1::date AND $2::date
      ORDER BY store, productname, date`,
    [formatDay(asOfDay - settings.salesDays + 1), asOf],
  );
  const daily = await db.sql.query<DailyRow>(
    `SELECT fs.store, fs.productname, fs.date::text AS date, fs.pct_error,
            EXISTS (SELECT 1 FROM rossman_sales r WHERE r.store = fs.store AND r.productname = fs.productname
                                                    AND r.date = fs.date AND r.promo = 1) AS promo FROM forecast_scores fs
      WHERE date BETWEEN $1::date AND $2::date AND pct_error IS NOT NULL
      ORDER BY store, productname, date`,
    [formatDay(asOfDay - settings.salesDays + 1), asOf],
  );
  const recentOf = new Map(recent.map((r) => [seriesId(r), r]));
  const weeksOf = group(weeks);
  const salesOf = group(sales);
  const dailyOf = group(daily);
  const promoFirst = formatDay(asOfDay - 2 * settings.windowDays + 1);

  const results: SeriesDriftResult[] = [];
  for (const [i, key] of series.entries()) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    // The detector is synchronous WASM: let the event loop breathe between series.
    if (i % 50 === 49) {
      await nextTurn();
      opts.onProgress?.(i + 1, series.length);
    }
    const id = seriesId(key);
    const r = recentOf.get(id);
    const days: SalesDay[] = (salesOf.get(id) ?? []).map((s) => ({ date: s.date, sales: s.sales, open: s.open === 1 }));
    const weekBias: WeekBias[] = (weeksOf.get(id) ?? []).map((w) => ({ week: w.week, bias: w.bias, days: w.days }));
    const shift = detectLevelShift(days, settings.levelShift);
    const scored = dailyOf.get(id) ?? [];
    const since = shift ? scored.filter((d) => d.date >= shift.day) : [];
    // Two windows of promo days: promotions run every other week.
    const recentDays = scored.filter((d) => d.date >= promoFirst);
    const promoDays = recentDays.filter((d) => d.promo);
    const reasons = assessDrift(
      {
        cvRmspe: r?.cv_rmspe ?? null,
        recent: { rmspe: r?.rmspe ?? null, days: r?.days ?? 0 },
        weeks: weekBias,
        levelShift: shift && {
          ...shift,
          bias: meanError(since),
          days: since.length,
        },
        trainEnd: key.train_end,
        promo: {
          bias: meanError(promoDays),
          days: promoDays.length,
          otherBias: meanError(recentDays.filter((d) => !d.promo)),
        },
      },
      settings.rules,
    );
    results.push({
      store: key.store,
      productname: key.productname,
      reasons,
      realizedRmspe: r?.rmspe ?? null,
      cvRmspe: r?.cv_rmspe ?? null,
      days: r?.days ?? 0,
    });
  }
  opts.onProgress?.(series.length, series.length);
  await storeStates(db, asOf, results);
  return { asOf, checked: results.length, degraded: results.filter((r) => r.reasons.length > 0) };
}

/**
 * One upsert for every series checked: its state and reasons; `since` is kept while a series stays
 * degraded (the spell's first check), set when it becomes so, cleared when it recovers.
 */
async function storeStates(db: Pick<Database, "sql">, asOf: string, results: readonly SeriesDriftResult[]) {
  if (results.length === 0) return;
  await db.sql.query(
    `INSERT INTO series_drift AS d (store, productname, state, reasons, since, realized_rmspe, cv_rmspe, days, checked_at)
     SELECT t.store, t.productname, t.state, t.reasons::jsonb,
            CASE WHEN t.state = 'degraded' THEN $8::date END, t.realized, t.cv, t.days, now()
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::float8[], $6::float8[], $7::int[])
            AS t(store, productname, state, reasons, realized, cv, days)
     ON CONFLICT (store, productname) DO UPDATE SET
       state = EXCLUDED.state,
       reasons = EXCLUDED.reasons,
       since = CASE WHEN EXCLUDED.state <> 'degraded' THEN NULL
                    WHEN d.state = 'degraded' AND d.since IS NOT NULL THEN d.since
                    ELSE EXCLUDED.since END,
       realized_rmspe = EXCLUDED.realized_rmspe,
       cv_rmspe = EXCLUDED.cv_rmspe,
       days = EXCLUDED.days,
       action = CASE WHEN EXCLUDED.state = 'degraded' THEN d.action END,
       checked_at = EXCLUDED.checked_at`,
    [
      results.map((r) => r.store),
      results.map((r) => r.productname),
      results.map((r) => (r.reasons.length > 0 ? "degraded" : "ok")),
      results.map((r) => JSON.stringify(r.reasons)),
      results.map((r) => r.realizedRmspe),
      results.map((r) => r.cvRmspe),
      results.map((r) => r.days),
      asOf,
    ],
  );
}

export interface DriftStateRow extends SeriesKey {
  state: "ok" | "degraded";
  reasons: DriftReason[];
  since: string | null;
  realizedRmspe: number | null;
  cvRmspe: number | null;
  days: number;
  action: string | null;
  checkedAt: Date;
}

interface DriftDbRow {
  store: number;
  productname: string;
  state: string;
  reasons: DriftReason[];
  since: string | null;
  realized_rmspe: number | null;
  cv_rmspe: number | null;
  days: number;
  action: string | null;
  checked_at: Date;
}

const toState = (r: DriftDbRow): DriftStateRow => ({
  store: r.store,
  productname: r.productname,
  state: r.state === "degraded" ? "degraded" : "ok",
  reasons: r.reasons,
  since: r.since,
  realizedRmspe: r.realized_rmspe,
  cvRmspe: r.cv_rmspe,
  days: r.days,
  action: r.action,
  checkedAt: r.checked_at,
});

const DRIFT_COLUMNS = `store, productname, state, reasons, since::text AS since, realized_rmspe, cv_rmspe, days,
  action, checked_at`;

/** The degraded series, worst first (realized / CV error), then by store. */
export async function degradedSeries(db: Pick<Database, "sql">, limit = 500): Promise<DriftStateRow[]> {
  const rows = await db.sql.query<DriftDbRow>(
    `SELECT ${DRIFT_COLUMNS} FROM series_drift WHERE state = 'degraded'
      ORDER BY realized_rmspe / NULLIF(cv_rmspe, 0) DESC NULLS LAST, store, productname LIMIT $1`,
    [limit],
  );
  return rows.map(toState);
}

/** One series' drift state, or null when it was never checked. */
export async function seriesDrift(db: Pick<Database, "sql">, key: SeriesKey): Promise<DriftStateRow | null> {
  const [row] = await db.sql.query<DriftDbRow>(
    `SELECT ${DRIFT_COLUMNS} FROM series_drift WHERE store = $1 AND productname = $2`,
    [key.store, key.productname],
  );
  return row ? toState(row) : null;
}

/** How many series are degraded now (storecast_degraded_series). */
export async function degradedCount(db: Pick<Database, "sql">): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM series_drift WHERE state = 'degraded'",
  );
  return row?.n ?? 0;
}

/** Records what the retraining policy did about each degraded series. */
export async function recordActions(
  db: Pick<Database, "sql">,
  actions: readonly { series: SeriesKey; action: string }[],
): Promise<void> {
  if (actions.length === 0) return;
  await db.sql.query(
    `UPDATE series_drift d SET action = t.action
       FROM unnest($1::int[], $2::text[], $3::text[]) AS t(store, productname, action)
      WHERE d.store = t.store AND d.productname = t.productname`,
    [actions.map((a) => a.series.store), actions.map((a) => a.series.productname), actions.map((a) => a.action)],
  );
}
