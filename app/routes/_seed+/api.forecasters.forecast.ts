import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { formatDay } from "../../days.js";
import { NotFoundError } from "../../errors.js";
import { adhocForecast } from "../../forecasting/adhoc.server.js";
import { firstMissingSeries } from "../../forecasting/series-data.server.js";
import { timeAdhocForecast } from "../../platform/metrics.server.js";
import { allowMethods, api, methodNotAllowed, notFound, parseStore, readJson } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { seedApi, seedForecastBody } from "./contract.server.js";
import { mapBounded, seedDateString, seedRange } from "./seed.server.js";

/**
 * Reference-compatible: POST /api/forecasters/forecast with a JSON list of
 * `{"store_id", "product_name", "begin_date", "end_date"}`. Each answer is
 * `{"request", "forecast": [{"timestamp", "value", "lower_ci", "upper_ci"}], "api": {"model_name", "model_version"}}`
 * with integer values. Dates are days: [begin_date, end_date), the end EXCLUSIVE, so the default
 * (begin today UTC, end begin + 7 days) is 7 days. The whole list is checked before any forecast;
 * the first unknown store, product or model answers 404 for the whole request.
 */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    const items = await readJson(request, seedForecastBody);
    const jobs = items.map((item, i) => ({
      item,
      store: parseStore(item.store_id, `[${i}].store_id`),
      ...seedRange(item, i),
    }));

    // One query for every series: name the first one with no history before predicting anything.
    const missing = await firstMissingSeries(
      context.db,
      jobs.map((j) => ({ store: j.store, productname: j.item.product_name })),
    );
    if (missing) {
      const { index, key } = missing;
      throw missing.storeKnown
        ? notFound("product", `[${index}]: store ${key.store} has no product ${key.productname}`, {
            index,
            store_id: key.store,
            product_name: key.productname,
          })
        : notFound("store", `[${index}]: unknown store ${key.store}`, { index, store_id: key.store });
    }

    // The model threads do the predicting; a few requests per thread keep them busy while others wait on the database.
    const concurrency = Math.max(4, context.models.threads * 4);
    const answers = await mapBounded(jobs, concurrency, async (job, i) => {
      try {
        const forecast = await timeAdhocForecast(() =>
          adhocForecast(context.db, context.models, {
            store: job.store,
            productname: job.item.product_name,
            begin: formatDay(job.fromDay),
            end: formatDay(job.endDay - 1),
          }),
        );
        return {
          request: {
            store_id: job.item.store_id,
            product_name: job.item.product_name,
            begin_date: seedDateString(job.fromDay),
            end_date: seedDateString(job.endDay),
          },
          forecast: forecast.points.map((p) => ({
            timestamp: `${p.date}T00:00:00`,
            value: Math.round(p.value),
            lower_ci: Math.round(p.lower),
            upper_ci: Math.round(p.upper),
          })),
          api: { model_name: forecast.modelName, model_version: String(forecast.modelVersion) },
        };
      } catch (err) {
        if (err instanceof NotFoundError) {
          throw notFound(err.entity, `[${i}]: ${err.message}`, {
            index: i,
            store_id: job.store,
            product_name: job.item.product_name,
          });
        }
        throw err;
      }
    });
    return reply(seedApi.forecast, 200, answers);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
