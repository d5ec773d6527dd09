/**
 * Realized accuracy, written as actuals arrive (docs/decisions/0027): for each (series, day) just
 * written to `rossman_sales`, the forecast that was in production for that day is scored into
 * `forecast_scores` in one set-based statement. The forecast scored is the newest `forecast_results`
 * row for the day created before the day began (UTC), else the newest created on the day itself;
 * one made afterwards is hindsight and never scored. The actual is read back from `rossman_sales`,
 * so whichever record won the upsert (docs/decisions/0016) is the one scored.
 *
 * Idempotent: a row is written only when something it holds changed (a re-sent actual writes
 * nothing; a corrected actual, or a newer forecast for a day not yet begun, re-scores). Days with
 * no forecast and unknown series produce no row. Work is proportional to the keys given. The sweep
 * (`sweepScores`) runs the same statement over a recent window, for what scoring as actuals arrive missed.
 */
import { formatDay, parseDay } from "../days.js";
import type { Database } from "../platform/db.server.js";
import { intArray, textArray } from "../sales/upsert.server.js";
import { recordDaysScored } from "./metrics.server.js";

/** What one scoring pass did. */
export interface ScoreResult {
  /** (series, day) pairs with an actual and a forecast in production for that day. */
  matched: number;
  /** Of `matched`, scores written for the first time. */
  inserted: number;
  /** Of `matched`, scores rewritten because the actual or the forecast changed. */
  updated: number;
}

/** A forecast is "closed" when the model said so: closed days are exactly 0 (app/model/predictor.ts). */
const FORECAST_CLOSED = "(f.forecast_sale = 0 AND f.upper_ci = 0)";

/**
 * The shared tail: `keys(store, productname, date)` is defined by the caller's first CTE. Each key
 * with an actual and a forecast is scored; the conflict update fires only when a value differs.
 */
const SCORE_TAIL = `,
  scored AS (
    SELECT r.store, r.productname, r.date, r.sales, r.open::smallint AS open,
           f.id AS forecast_id, f.created_on, f.forecast_sale, f.lower_ci, f.upper_ci,
           f.model_name, f.model_version, v.cv_rmspe,
           ((r.open = 1) = ${FORECAST_CLOSED}) AS mismatch,
           (r.open = 1 AND NOT ${FORECAST_CLOSED}) AS both_open
      FROM keys k
      JOIN rossman_sales r ON r.store = k.store AND r.productname = k.productname AND r.date = k.date
      JOIN LATERAL (
        SELECT f.* FROM forecast_results f
         WHERE f.store = r.store AND f.productname = r.productname AND f.forecast_date = r.date
           AND f.created_on < (r.date + 1)::timestamp AT TIME ZONE 'UTC'
         ORDER BY (f.created_on < r.date::timestamp AT TIME ZONE 'UTC') DESC, f.created_on DESC, f.id DESC
         LIMIT 1
      ) f ON true
      LEFT JOIN registered_models m ON m.name = f.model_name
      LEFT JOIN model_versions v ON v.model_id = m.id AND v.version = f.model_version
  ),
  written AS (
    INSERT INTO forecast_scores AS s
      (store, productname, date, sales, open, forecast_id, forecast_created_on, forecast_sale, lower_ci,
       upper_ci, model_name, model_version, cv_rmspe, pct_error, in_band, mismatch)
    SELECT store, productname, date, sales, open, forecast_id, created_on, forecast_sale, lower_ci, upper_ci,
           model_name, model_version, cv_rmspe,
           CASE WHEN both_open AND sales > 0 THEN (forecast_sale - sales) / sales::float8 END,
           CASE WHEN both_open THEN sales BETWEEN lower_ci AND upper_ci END,
           mismatch
      FROM scored
     ORDER BY store, productname, date
    ON CONFLICT (store, productname, date) DO UPDATE SET
      sales = EXCLUDED.sales, open = EXCLUDED.open, forecast_id = EXCLUDED.forecast_id,
      forecast_created_on = EXCLUDED.forecast_created_on, forecast_sale = EXCLUDED.forecast_sale,
      lower_ci = EXCLUDED.lower_ci, upper_ci = EXCLUDED.upper_ci, model_name = EXCLUDED.model_name,
      model_version = EXCLUDED.model_version, cv_rmspe = EXCLUDED.cv_rmspe, pct_error = EXCLUDED.pct_error,
      in_band = EXCLUDED.in_band, mismatch = EXCLUDED.mismatch, scored_at = now()
    WHERE (s.sales, s.open, s.forecast_id, s.forecast_created_on, s.forecast_sale, s.lower_ci, s.upper_ci,
           s.model_version, s.cv_rmspe)
          IS DISTINCT FROM
          (EXCLUDED.sales, EXCLUDED.open, EXCLUDED.forecast_id, EXCLUDED.forecast_created_on,
           EXCLUDED.forecast_sale, EXCLUDED.lower_ci, EXCLUDED.upper_ci, EXCLUDED.model_version,
           EXCLUDED.cv_rmspe)
    RETURNING (xmax = 0) AS inserted
  )
SELECT (SELECT count(*) FROM scored)::int AS matched,
       count(*) FILTER (WHERE inserted)::int AS inserted,
       count(*) FILTER (WHERE NOT inserted)::int AS updated
  FROM written`;

/** $1 store[], $2 productname[], $3 day[] (days since 1970-01-01): exactly these keys. */
const SCORE_KEYS = `WITH keys AS (
    SELECT DISTINCT u.store, u.productname, DATE '1970-01-01' + u.day AS date
      FROM unnest($1::int[], $2::varchar[], $3::int[]) AS u(store, productname, day)
  )${SCORE_TAIL}`;

/** $1, $2: first and last day: every series with a forecast for a day in between (a history load). */
const SCORE_RANGE = `WITH keys AS (
    SELECT DISTINCT store, productname, forecast_date AS date FROM forecast_results
     WHERE forecast_date BETWEEN DATE '1970-01-01' + $1::int AND DATE '1970-01-01' + $2::int
  )${SCORE_TAIL}`;

/**
 * $1, $2: first and last day: every actual in between (the sweep). Driven by the actuals through
 * `rossman_sales_date_idx`, then each forecast by its series and day: work in proportion to the
 * window, whatever the forecasts' horizon (`forecast_results` has no index by date alone).
 */
const SCORE_WINDOW = `WITH keys AS (
    SELECT store, productname, date FROM rossman_sales
     WHERE date BETWEEN DATE '1970-01-01' + $1::int AND DATE '1970-01-01' + $2::int
  )${SCORE_TAIL}`;

/** A (series, day) whose actual was just written; `day` is days since 1970-01-01. */
export interface ActualKey {
  store: number;
  productname: string;
  day: number;
}

async function run(db: Database, text: string, params: unknown[]): Promise<ScoreResult> {
  const [r] = await db.sql.query<ScoreResult>(text, params);
  const result = r ?? { matched: 0, inserted: 0, updated: 0 };
  recordDaysScored(result.inserted + result.updated);
  return result;
}

/** Scores exactly these (series, day) pairs: the stream consumer's batch. Throws on a database failure. */
export async function scoreActuals(db: Database, keys: readonly ActualKey[]): Promise<ScoreResult> {
  if (keys.length === 0) return { matched: 0, inserted: 0, updated: 0 };
  return run(db, SCORE_KEYS, [
    intArray(keys.map((k) => k.store)),
    textArray(keys.map((k) => k.productname)),
    intArray(keys.map((k) => k.day)),
  ]);
}

/**
 * Scores every series' days from `from` to `to` (YYYY-MM-DD, inclusive) that have a forecast: after a
 * history load, driven by the forecasts (few) rather than the rows loaded (months of them).
 */
export async function scoreDays(db: Database, from: string, to: string): Promise<ScoreResult> {
  const first = parseDay(from);
  const last = parseDay(to);
  if (first === undefined || last === undefined) throw new RangeError(`expected YYYY-MM-DD days, got ${from}..${to}`);
  return run(db, SCORE_RANGE, [first, last]);
}

/** What a sweep did: the window it covered (null when there are no actuals at all) and its counts. */
export interface SweepResult extends ScoreResult {
  from: string | null;
  to: string | null;
}

/**
 * The sweep: re-scores the last `days` days of actuals, ending at `asOf` (default: the newest day with
 * actuals, the day the drift check assesses). It catches what scoring as actuals arrive cannot: a
 * forecast written after its day's actual (a forecast made on the day, a late batch), a failed
 * scoring call, actuals written by no scoring writer. Idempotent like the rest: an unchanged window
 * writes nothing.
 */
export async function sweepScores(db: Database, days: number, asOf?: string): Promise<SweepResult> {
  if (!Number.isInteger(days) || days < 1) throw new RangeError(`expected a sweep of at least 1 day, got ${days}`);
  let last: number | undefined;
  if (asOf === undefined) {
    const [newest] = await db.sql.query<{ d: string | null }>("SELECT max(date)::text AS d FROM rossman_sales");
    if (!newest?.d) return { from: null, to: null, matched: 0, inserted: 0, updated: 0 };
    last = parseDay(newest.d);
  } else {
    last = parseDay(asOf);
  }
  if (last === undefined) throw new RangeError(`expected a YYYY-MM-DD day, got ${asOf}`);
  const first = last - days + 1;
  const result = await run(db, SCORE_WINDOW, [first, last]);
  return { from: formatDay(first), to: formatDay(last), ...result };
}

/**
 * Scoring as the writers call it: after their commit, and never their failure. A scoring error is
 * logged and dropped (the actuals are safe; the next actual for the day, or a history load of the
 * range, scores it again), so the stream consumer never fails or repeats a batch because of it.
 */
export async function scoreSafely(
  log: { warn(obj: object, msg: string): void },
  what: string,
  score: () => Promise<ScoreResult>,
): Promise<ScoreResult | null> {
  try {
    return await score();
  } catch (err) {
    log.warn({ err, what }, "monitoring: scoring actuals failed; the actuals are kept, their scores skipped");
    return null;
  }
}
