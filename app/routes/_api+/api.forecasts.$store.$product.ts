import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ValidationError } from "../../errors.js";
import { adhocForecast } from "../../forecasting/adhoc.server.js";
import { OutOfWindowError } from "../../forecasting/forecast-window.js";
import { latestForecast } from "../../forecasting/weekly.server.js";
import { timeAdhocForecast } from "../../platform/metrics.server.js";
import { allowMethods, api, assertSeries, notFound, readJson, seriesParams } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { requireRole } from "../../server/authorize.server.js";
import { requestBudget } from "../../server/request-budget.server.js";
import { adhocForecastBody, nativeApi } from "./contract.server.js";

const points = (ps: { date: string; value: number; lower: number; upper: number }[]) =>
  ps.map((p) => ({ date: p.date, value: p.value, lower: p.lower, upper: p.upper }));

/** GET /api/forecasts/:store/:product: the latest weekly 7-day forecast (404 when none yet). */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const key = seriesParams(params);
    const forecast = await latestForecast(context.db, key);
    if (!forecast) {
      await assertSeries(context.db, key.store, key.productname);
      throw notFound("forecast", `no weekly forecast for store ${key.store} ${key.productname} yet`, {
        store: key.store,
        product: key.productname,
      });
    }
    return reply(nativeApi.weeklyForecast, 200, {
      store: key.store,
      product: key.productname,
      kind: "weekly",
      model: { name: forecast.modelName, version: forecast.modelVersion },
      createdOn: forecast.createdOn,
      points: points(forecast.points),
    });
  });
}

/** The range checks name the reference API's fields; this API's body says begin/end. */
const FIELD_NAMES: Record<string, string> = { begin_date: "begin", end_date: "end" };

/**
 * POST /api/forecasts/:store/:product {"begin": "YYYY-MM-DD", "end": "YYYY-MM-DD"}: an ad-hoc
 * forecast from the production model, both days inclusive, at most 365 days, within the forecast
 * window (400 naming the field and the window otherwise). Nothing is stored.
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "planner");
    const key = seriesParams(params);
    const body = await readJson(request, adhocForecastBody);
    try {
      const forecast = await timeAdhocForecast(() =>
        adhocForecast(
          context.db,
          context.models,
          { ...key, begin: body.begin, end: body.end },
          requestBudget(context, request),
        ),
      );
      return reply(nativeApi.adhocForecast, 200, {
        store: key.store,
        product: key.productname,
        kind: "adhoc",
        begin: body.begin,
        end: body.end,
        model: { name: forecast.modelName, version: forecast.modelVersion },
        points: points(forecast.points),
      });
    } catch (err) {
      if (err instanceof OutOfWindowError && FIELD_NAMES[err.field]) throw err.renamed(FIELD_NAMES[err.field]!);
      if (err instanceof ValidationError && FIELD_NAMES[err.field]) {
        throw new ValidationError(FIELD_NAMES[err.field]!, err.message.replace(/(begin|end) date/g, "$1"));
      }
      throw err;
    }
  });
}
