/**
 * Reads the forecast window (forecast-window.ts) of a database: its first and newest sales days,
 * kept a few seconds so the forecast routes' hot path pays no extra query. A stale window is
 * at most a few seconds narrower than the true one (sales days only grow).
 */
import { parseDay } from "../days.js";
import { DEFAULT_FORECAST_HORIZON_DAYS } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { type ForecastWindow, forecastWindowOf } from "./forecast-window.js";

const KEEP_MS = 5_000;

interface SalesSpan {
  first: number;
  newest: number;
}

const kept = new WeakMap<Database, { until: number; span: Promise<SalesSpan | null> }>();

async function readSpan(db: Database): Promise<SalesSpan | null> {
  // Both from the date index.
  const [row] = await db.sql.query<{ first: string | null; newest: string | null }>(
    "SELECT min(date)::text AS first, max(date)::text AS newest FROM rossman_sales",
  );
  const first = row?.first ? parseDay(row.first) : undefined;
  const newest = row?.newest ? parseDay(row.newest) : undefined;
  return first === undefined || newest === undefined ? null : { first, newest };
}

/** The window forecasts of this database may ask for, or null when it has no sales yet. */
export async function forecastWindow(
  db: Database,
  horizonDays = DEFAULT_FORECAST_HORIZON_DAYS,
): Promise<ForecastWindow | null> {
  const now = Date.now();
  let entry = kept.get(db);
  if (!entry || entry.until <= now) {
    const span = readSpan(db);
    entry = { until: now + KEEP_MS, span };
    kept.set(db, entry);
    // A failed read is not kept.
    span.catch(() => {
      if (kept.get(db)?.span === span) kept.delete(db);
    });
  }
  const span = await entry.span;
  return span && forecastWindowOf(span.first, span.newest, horizonDays);
}
