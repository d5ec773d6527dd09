/**
 * The store page's server side, shared by its loader, its action and the CSV download, so the
 * page and the file show the same series: which store and product the address names (404
 * otherwise), the chart's data, and the ad-hoc forecast form's checks.
 */

import type { AppLoadContext } from "@remix-run/node";
import { stringify } from "csv-stringify/sync";
import { type ChartRow, chartRows, type ForecastSeries } from "../../charts/forecast.js";
import { formatDay, todayDay } from "../../days.js";
import { NotFoundError, ValidationError } from "../../errors.js";
import { adhocForecast, MAX_ADHOC_DAYS, validateRange } from "../../forecasting/adhoc.server.js";
import { ForecastTimeoutError } from "../../forecasting/budget.server.js";
import { type ForecastComponents, forecastComponents } from "../../forecasting/components.server.js";
import { assertInWindow } from "../../forecasting/forecast-window.js";
import { forecastWindow } from "../../forecasting/forecast-window.server.js";
import { latestForecast } from "../../forecasting/weekly.server.js";
import { timeAdhocForecast } from "../../platform/metrics.server.js";
import { MAX_INT32, MAX_PRODUCT_NAME } from "../../rossmann.js";
import { hasRole } from "../../server/authorize.server.js";
import { requestBudget } from "../../server/request-budget.server.js";
import { type ActualSale, recentSales, type StoreInfo, storeInfo } from "../../stores/store.server.js";

/** A 404 the root error boundary shows as "Page not found", with this sentence. */
export function notFoundPage(message: string): Response {
  return new Response(message, { status: 404, statusText: "Not Found", headers: { "Content-Type": "text/plain" } });
}

export interface SelectedSeries {
  info: StoreInfo;
  key: { store: number; productname: string };
}

/** The store in the path and the product in `?product=` (default: the store's first), or a 404. */
export async function selectSeries(
  context: AppLoadContext,
  storeParam: string | undefined,
  search: URLSearchParams,
): Promise<SelectedSeries> {
  const text = storeParam ?? "";
  const store = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(store) || store < 1 || store > MAX_INT32) {
    throw notFoundPage(`There is no store “${text.slice(0, 40)}”: a store is a number, for example 262.`);
  }
  const info = await storeInfo(context.db, store);
  if (!info) throw notFoundPage(`There is no store ${store}: it has no sales history.`);
  const asked = search.get("product");
  if (asked !== null && asked !== "" && !info.products.includes(asked)) {
    throw notFoundPage(
      `Store ${store} has no product “${asked.slice(0, MAX_PRODUCT_NAME)}”; it sells ${info.products.join(", ")}.`,
    );
  }
  return { info, key: { store, productname: asked || info.products[0]! } };
}

export interface AdhocFormErrors {
  begin?: string;
  end?: string;
  /** About the request as a whole (e.g. no trained model yet). */
  form?: string;
}

/** The days a forecast may cover (the forecast window), YYYY-MM-DD; null before any sales. */
export interface AdhocWindow {
  first: string;
  last: string;
}

export interface AdhocResult extends ForecastSeries {
  begin: string;
  end: string;
}

export interface AdhocOutcome {
  /** The longest range the form accepts. */
  maxDays: number;
  window: AdhocWindow | null;
  /** Whether the address asked for an ad-hoc forecast at all. */
  requested: boolean;
  begin: string;
  end: string;
  errors: AdhocFormErrors | null;
  forecast: AdhocResult | null;
}

/** The form's defaults: today and today + 7 days (UTC). */
export function defaultRange(now = Date.now()): { begin: string; end: string } {
  const today = todayDay(now);
  return { begin: formatDay(today), end: formatDay(today + 7) };
}

/**
 * `?begin=&end=` checked (a real range, at most MAX_ADHOC_DAYS, within the forecast window) and,
 * when valid, forecast from the production model (nothing stored) within the request's budget.
 * Bad input is returned as field errors for the form, never thrown.
 */
export async function adhocFromSearch(
  context: AppLoadContext,
  key: { store: number; productname: string },
  search: URLSearchParams,
  request: Request,
): Promise<AdhocOutcome> {
  const budget = requestBudget(context, request);
  const w = await forecastWindow(context.db, budget.horizonDays);
  const window = w && { first: formatDay(w.first), last: formatDay(w.last) };
  const rawBegin = search.get("begin");
  const rawEnd = search.get("end");
  const defaults = defaultRange();
  const outcome = { maxDays: MAX_ADHOC_DAYS, window };
  if (rawBegin === null && rawEnd === null) {
    return { ...outcome, requested: false, ...defaults, errors: null, forecast: null };
  }
  const begin = (rawBegin ?? "").trim().slice(0, 40);
  const end = (rawEnd ?? "").trim().slice(0, 40);
  const errors: AdhocFormErrors = {};
  // Ad-hoc forecasts use the model threads: a planner's (a viewer sees the weekly forecast).
  if (!hasRole(context, "planner")) {
    const who = context.principal ? `${context.principal.name} is a ${context.principal.role}` : "nobody signed in";
    errors.form = `Forecasts for other dates need the planner role (${who}).`;
  }
  if (begin === "") errors.begin = "Enter the first day to forecast.";
  if (end === "") errors.end = "Enter the last day to forecast.";
  if (!errors.begin && !errors.end) {
    try {
      const { fromDay, days } = validateRange(begin, end);
      assertInWindow(w, fromDay, days, { begin: "begin", end: "end" });
    } catch (err) {
      if (!(err instanceof ValidationError)) throw err;
      const field = err.field.startsWith("begin") ? "begin" : "end";
      errors[field] = sentence(err.message);
    }
  }
  if (Object.keys(errors).length > 0) return { ...outcome, requested: true, begin, end, errors, forecast: null };
  try {
    const f = await timeAdhocForecast(() => adhocForecast(context.db, context.models, { ...key, begin, end }, budget));
    return {
      ...outcome,
      requested: true,
      begin,
      end,
      errors: null,
      forecast: { begin, end, modelName: f.modelName, modelVersion: f.modelVersion, points: f.points },
    };
  } catch (err) {
    const form =
      err instanceof NotFoundError
        ? "This series has no trained model yet: retrain it first, then forecast."
        : err instanceof ForecastTimeoutError
          ? sentence(err.message)
          : null;
    if (form === null) throw err;
    return { ...outcome, requested: true, begin, end, errors: { form }, forecast: null };
  }
}

/** "end date 2026-01-01 is before ..." -> "End date 2026-01-01 is before ....". */
function sentence(message: string): string {
  const text = message.charAt(0).toUpperCase() + message.slice(1);
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

export interface SeriesChartData {
  actuals: ActualSale[];
  weekly: (ForecastSeries & { createdOn: Date }) | null;
}

/** The chart's stored parts: the last 8 weeks of sales and the latest weekly forecast. */
export async function seriesChartData(
  context: AppLoadContext,
  key: { store: number; productname: string },
): Promise<SeriesChartData> {
  const [actuals, weekly] = await Promise.all([recentSales(context.db, key), latestForecast(context.db, key)]);
  return {
    actuals,
    weekly: weekly && {
      modelName: weekly.modelName,
      modelVersion: weekly.modelVersion,
      createdOn: weekly.createdOn,
      points: weekly.points,
    },
  };
}

/**
 * The components of the weekly forecast shown (null when there is none). A version that cannot be
 * taken apart leaves the rest of the page standing: logged, and said in the panel.
 */
export async function seriesComponents(
  context: AppLoadContext,
  key: { store: number; productname: string },
  weekly: SeriesChartData["weekly"],
): Promise<ForecastComponents | { unavailable: string } | null> {
  if (!weekly) return null;
  try {
    const dates = weekly.points.map((p) => p.date);
    const c = await forecastComponents(context.db, key, { modelVersion: weekly.modelVersion, dates });
    return (
      c ?? { unavailable: `Version ${weekly.modelVersion}, which made this forecast, is no longer in the registry.` }
    );
  } catch (err) {
    context.log.error({ err, ...key, version: weekly.modelVersion }, "ui: could not take the forecast apart");
    return { unavailable: `The components of version ${weekly.modelVersion}'s forecast could not be computed.` };
  }
}

/** What the chart shows, as CSV: one line per point, bands where there are bands. */
export function chartCsv(rows: readonly ChartRow[]): string {
  return stringify(
    rows.map((r) => [r.date, r.series, r.value, r.lower ?? "", r.upper ?? "", r.model ?? "", r.version ?? ""]),
    { header: true, columns: ["date", "series", "sales", "lower_ci_95", "upper_ci_95", "model_name", "model_version"] },
  );
}

export function seriesCsv(data: SeriesChartData, adhoc: AdhocResult | null): string {
  return chartCsv(chartRows({ actuals: data.actuals, weekly: data.weekly, adhoc }));
}
