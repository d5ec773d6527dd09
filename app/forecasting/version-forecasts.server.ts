/**
 * The compare view's forecasts: what each of two versions forecast for a series, as stored in
 * `forecast_results` when it served (never recomputed here, see docs/decisions/0033), and the
 * series' actual sales over those days with a few weeks before them for context.
 */
import { parseDay } from "../days.js";
import type { ForecastPoint } from "../model/config.js";
import type { Database } from "../platform/db.server.js";
import type { SeriesKey } from "../series.js";
import { loadHistories } from "./series-data.server.js";

/** Each version's newest stored forecast days, at most (a production version gets a week per batch run). */
export const MAX_STORED_FORECAST_DAYS = 56;
/** Actual sales shown before the first forecast day, so the forecasts are seen against the recent level. */
export const ACTUAL_CONTEXT_DAYS = 21;

export interface VersionForecast {
  version: number;
  /** Oldest first; empty when nothing of this version is stored. */
  points: ForecastPoint[];
}

export interface ActualDay {
  date: string;
  sales: number;
  open: 0 | 1;
}

export interface ForecastsAgainstActuals {
  /** One entry per asked version, in the order asked. */
  forecasts: VersionForecast[];
  /** From ACTUAL_CONTEXT_DAYS before the first forecast day to the last one that has an actual. */
  actuals: ActualDay[];
}

export async function forecastsAgainstActuals(
  db: Database,
  key: SeriesKey,
  versions: readonly number[],
): Promise<ForecastsAgainstActuals> {
  const unique = [...new Set(versions)];
  const rows = await db.sql.query<{
    model_version: number;
    forecast_date: string;
    forecast_sale: number;
    lower_ci: number;
    upper_ci: number;
  }>(
    `SELECT model_version, forecast_date, forecast_sale, lower_ci, upper_ci FROM (
       SELECT model_version, forecast_date::text AS forecast_date, forecast_sale, lower_ci, upper_ci,
              row_number() OVER (PARTITION BY model_version ORDER BY forecast_date DESC) AS nth
         FROM forecast_results
        WHERE store = $1 AND productname = $2 AND model_version = ANY($3::int[])) f
      WHERE nth <= $4
      ORDER BY model_version, forecast_date`,
    [key.store, key.productname, unique, MAX_STORED_FORECAST_DAYS],
  );
  const byVersion = new Map<number, ForecastPoint[]>(unique.map((v) => [v, []]));
  for (const r of rows) {
    byVersion
      .get(r.model_version)
      ?.push({ date: r.forecast_date, value: r.forecast_sale, lower: r.lower_ci, upper: r.upper_ci });
  }
  const forecasts = versions.map((version) => ({ version, points: byVersion.get(version) ?? [] }));
  const days = rows.map((r) => parseDay(r.forecast_date)).filter((d): d is number => d !== undefined);
  if (days.length === 0) return { forecasts, actuals: [] };
  const first = Math.min(...days);
  const last = Math.max(...days);
  const histories = await loadHistories(db, first - ACTUAL_CONTEXT_DAYS - 1, last, { series: key });
  const actuals = [...histories.values()].flatMap((h) =>
    h.days.map((d) => ({ date: d.date, sales: d.sales, open: d.open })),
  );
  return { forecasts, actuals };
}
