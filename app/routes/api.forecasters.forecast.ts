import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { formatDay } from "../days.js";
import { adhocForecast } from "../forecast.server.js";
import { NotFoundError } from "../registry/versions.server.js";
import {
  allowMethods,
  api,
  mapBounded,
  methodNotAllowed,
  notFound,
  parseStore,
  readJson,
  seedDateString,
  seedForecastBody,
  seedRange,
} from "../server/api.server.js";

/**
 * Reference-compatible: POST /api/forecasters/forecast with a JSON list of
 * `{"store_id", "product_name", "begin_date", "end_date"}`. Each answer is
 * `{"request", "forecast": [{"timestamp", "value", "lower_ci", "upper_ci"}], "api": {"model_name", "model_version"}}`
 * with integer values. Dates are days: [begin_date, end_date), the end EXCLUSIVE, so the default
 * (begin today UTC, end begin + 7 days) is 7 days. The whole list is checked before any forecast;
 * the first unknown store, product or model answers 404 for the whole request.
 */
export function action({ request, context }: ActionFunctionArgs) {
  return api(async () => {
    allowMethods(request, ["POST"]);
    const items = await readJson(request, seedForecastBody);
    const jobs = items.map((item, i) => ({
      item,
      store: parseStore(item.store_id, `[${i}].store_id`),
      ...seedRange(item, i),
    }));

    // One query for every series: name the first one with no history before predicting anything.
    const missing = await context.db.sql.query<{ i: number; store: number; productname: string; has_store: boolean }>(
      `SELECT t.i, t.store, t.productname,
              EXISTS (SELECT 1 FROM rossman_sales r WHERE r.store = t.store) AS has_store
         FROM unnest($1::int[], $2::int[], $3::text[]) AS t(i, store, productname)
        WHERE NOT EXISTS (SELECT 1 FROM rossman_sales r WHERE r.store = t.store AND r.productname = t.productname)
        ORDER BY t.i LIMIT 1`,
      [jobs.map((_, i) => i), jobs.map((j) => j.store), jobs.map((j) => j.item.product_name)],
    );
    const first = missing[0];
    if (first) {
      throw first.has_store
        ? notFound("product", `[${first.i}]: store ${first.store} has no product ${first.productname}`, {
            index: first.i,
            store_id: first.store,
            product_name: first.productname,
          })
        : notFound("store", `[${first.i}]: unknown store ${first.store}`, { index: first.i, store_id: first.store });
    }

    // The model threads do the predicting; a few requests per thread keep them busy while others wait on the database.
    const concurrency = Math.max(4, context.models.threads * 4);
    const answers = await mapBounded(jobs, concurrency, async (job, i) => {
      try {
        const forecast = await adhocForecast(context.db, context.models, {
          store: job.store,
          productname: job.item.product_name,
          begin: formatDay(job.fromDay),
          end: formatDay(job.endDay - 1),
        });
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
    return Response.json(answers);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
