/**
 * Realized accuracy read from `forecast_scores` (docs/decisions/0027): the fleet per day and over
 * the last 7 days, one series per week and per day. Every error figure counts only days that both
 * the actual and the forecast had open with sales > 0 (`pct_error` set): RMSPE, MAPE and bias (mean
 * signed % error, positive = forecast too high) as fractions; coverage is the share of open days
 * inside the 95% band; open/closed mismatches are counted beside them, never as errors. Weeks are
 * ISO weeks (Monday first), the same for every series whatever day its forecast was made.
 * Windows end at `today` (UTC) inclusive.
 */
import { formatDay, todayDay } from "../days.js";
import type { Database } from "../platform/db.server.js";
// Registers the gauges this read feeds (storecast_realized_*) wherever it is loaded.
import "./metrics.server.js";
import type { RealizedSummary } from "./metrics.server.js";

/** Accuracy over a set of scored days. Error figures are null when no day counted. */
export interface AccuracyFigures {
  /** Series-days scored. */
  scored: number;
  /** Of them, days counted in the error figures (open on both sides, sales > 0). */
  errorDays: number;
  rmspe: number | null;
  mape: number | null;
  bias: number | null;
  /** Share of open days (both sides) whose actual was inside the 95% interval. */
  coverage: number | null;
  mismatches: number;
  /** Median CV RMSPE of the versions scored: each version once over a window, per scored day over a day or a week. */
  cvRmspe: number | null;
  /** rmspe / cvRmspe. */
  vsCv: number | null;
}

export interface FleetDay extends AccuracyFigures {
  date: string;
}

export interface FleetAccuracy {
  from: string;
  to: string;
  days: FleetDay[];
  /** The last 7 days (to - 6 .. to) together. */
  last7: AccuracyFigures & { from: string; to: string };
}

export interface SeriesWeek extends AccuracyFigures {
  /** The Monday the week starts on. */
  week: string;
  /** Model versions scored in the week. */
  versions: number[];
}

export interface SeriesDay {
  date: string;
  sales: number;
  open: number;
  forecast: number;
  lower: number;
  upper: number;
  modelVersion: number;
  pctError: number | null;
  inBand: boolean | null;
  mismatch: boolean;
}

export interface SeriesAccuracy {
  store: number;
  product: string;
  from: string;
  to: string;
  weeks: SeriesWeek[];
  days: SeriesDay[];
}

const FIGURES = `count(*)::int AS scored,
  count(pct_error)::int AS "errorDays",
  sqrt(avg(pct_error * pct_error)) AS rmspe,
  avg(abs(pct_error)) AS mape,
  avg(pct_error) AS bias,
  avg(in_band::int)::float8 AS coverage,
  count(*) FILTER (WHERE mismatch)::int AS mismatches`;

/** Each version once: its CV RMSPE from any of its rows (they agree). */
const CV_MEDIAN = (where: string) => `(SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY cv) FROM (
    SELECT max(cv_rmspe) AS cv FROM forecast_scores WHERE ${where} GROUP BY model_name, model_version
  ) v)`;

type Row = Omit<AccuracyFigures, "vsCv">;

const ratio = (r: Row): AccuracyFigures => ({
  ...r,
  vsCv: r.rmspe !== null && r.cvRmspe !== null && r.cvRmspe > 0 ? r.rmspe / r.cvRmspe : null,
});

const day = (n: number) => `DATE '1970-01-01' + ${n}`;

/** The fleet per day over the `days` days ending `today`, and the last 7 of them together. */
export async function fleetAccuracy(db: Database, opts: { days: number; today?: number }): Promise<FleetAccuracy> {
  const to = opts.today ?? todayDay();
  const from = to - opts.days + 1;
  const rows = await db.sql.query<Row & { date: string }>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date, ${FIGURES},
            percentile_cont(0.5) WITHIN GROUP (ORDER BY cv_rmspe) AS "cvRmspe"
       FROM forecast_scores
      WHERE date BETWEEN DATE '1970-01-01' + $1::int AND DATE '1970-01-01' + $2::int
      GROUP BY date ORDER BY date`,
    [from, to],
  );
  return {
    from: formatDay(from),
    to: formatDay(to),
    // One row per series and day: a day's median over its rows is over its versions.
    days: rows.map((r) => ({ ...ratio(r), date: r.date })),
    last7: { ...(await windowFigures(db, to - 6, to)), from: formatDay(to - 6), to: formatDay(to) },
  };
}

async function windowFigures(db: Database, from: number, to: number): Promise<AccuracyFigures> {
  const inWindow = `date BETWEEN ${day(from)} AND ${day(to)}`;
  const [r] = await db.sql.query<Row>(
    `SELECT ${FIGURES}, ${CV_MEDIAN(inWindow)} AS "cvRmspe" FROM forecast_scores WHERE ${inWindow}`,
  );
  // An aggregate without GROUP BY always answers one row.
  return ratio(r as Row);
}

/** What the realized-accuracy gauges show: the fleet's last 7 days ending today. */
export async function realizedSummary(db: Database, today = todayDay()): Promise<RealizedSummary> {
  const f = await windowFigures(db, today - 6, today);
  return { rmspe: f.rmspe, coverage: f.coverage, vsCv: f.vsCv };
}

/** One series over the `weeks` ISO weeks ending with the one holding `today`: per week and per day. */
export async function seriesAccuracy(
  db: Database,
  store: number,
  product: string,
  opts: { weeks: number; today?: number },
): Promise<SeriesAccuracy> {
  const to = opts.today ?? todayDay();
  // Day 0 (1970-01-01) was a Thursday: (day + 3) mod 7 is 0 on Mondays.
  const from = to - ((to + 3) % 7) - 7 * (opts.weeks - 1);
  const params = [store, product, from, to];
  const where = `store = $1 AND productname = $2
    AND date BETWEEN DATE '1970-01-01' + $3::int AND DATE '1970-01-01' + $4::int`;
  const weeks = await db.sql.query<Row & { week: string; versions: number[] }>(
    `SELECT to_char(date_trunc('week', date), 'YYYY-MM-DD') AS week, ${FIGURES},
            percentile_cont(0.5) WITHIN GROUP (ORDER BY cv_rmspe) AS "cvRmspe",
            array_agg(DISTINCT model_version ORDER BY model_version) AS versions
       FROM forecast_scores WHERE ${where}
      GROUP BY 1 ORDER BY 1`,
    params,
  );
  const days = await db.sql.query<SeriesDay>(
    `SELECT to_char(date, 'YYYY-MM-DD') AS date, sales, open::int AS open, forecast_sale AS forecast,
            lower_ci AS lower, upper_ci AS upper, model_version AS "modelVersion", pct_error AS "pctError",
            in_band AS "inBand", mismatch
       FROM forecast_scores WHERE ${where} ORDER BY date`,
    params,
  );
  return {
    store,
    product,
    from: formatDay(from),
    to: formatDay(to),
    weeks: weeks.map((w) => ({ ...ratio(w), week: w.week, versions: w.versions })),
    days,
  };
}
