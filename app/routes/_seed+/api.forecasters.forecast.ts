import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ApiError } from "../../errors.js";
import type { AdhocForecast } from "../../forecasting/adhoc.server.js";
import { adhocForecastMany, type RangeAnswer } from "../../forecasting/adhoc-many.server.js";
import { assertBatchPoints, batchPoints } from "../../forecasting/budget.server.js";
import { forecastWindow } from "../../forecasting/forecast-window.server.js";
import { observeAdhocForecasts } from "../../platform/metrics.server.js";
import { MODEL_NAME_PREFIX } from "../../registry/versions.server.js";
import { readBodyText, SEED_FORECAST_MAX_BODY_BYTES } from "../../server/api.server.js";
import { replyArray } from "../../server/api-contract.server.js";
import { requireRole } from "../../server/authorize.server.js";
import { requestBudget } from "../../server/request-budget.server.js";
import { SEED_MAX_ITEMS, seedApi } from "./contract.server.js";
import { parseSeedForecastBody } from "./forecast-request.server.js";
import {
  SeedValidationError,
  seedCall,
  seedErrorResponse,
  seedIssue,
  seedMethodNotAllowed,
  seedRangeDays,
  seedRangeTimestamps,
} from "./seed.server.js";

const JSON_SUBTYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i;

/**
 * The body as the reference's FastAPI read it: JSON when there is no content type or a JSON one;
 * any other content type is taken as raw bytes (then refused as "not a valid list"); no body is
 * `undefined` ("field required").
 */
async function seedBody(request: Request): Promise<unknown> {
  const text = await readBodyText(request, SEED_FORECAST_MAX_BODY_BYTES);
  if (text === "") return undefined;
  const type = request.headers.get("content-type");
  if (type && !JSON_SUBTYPE.test(type)) return text;
  try {
    return JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = Number(/position (\d+)/.exec(msg)?.[1] ?? 0);
    throw new SeedValidationError([seedIssue.json(msg, pos)]);
  }
}

/**
 * Reference-compatible: POST /api/forecasters/forecast with a JSON list of
 * `{"store_id", "product_name", "begin_date", "end_date"}`, answered as the reference's forecast
 * service did (see the contract's description): every day from begin through end, both included.
 * Within budget (docs/decisions/0025): every date in the forecast window (422 on the item's field),
 * at most FORECAST_MAX_BATCH_POINTS points in all (413), checked before any forecast; the answer
 * is streamed.
 */
export function action({ request, context }: ActionFunctionArgs) {
  return seedCall(context, async () => {
    if (request.method !== "POST") return seedMethodNotAllowed(["POST"]);
    requireRole(context, request, "planner");
    const body = await seedBody(request);
    if (Array.isArray(body) && body.length > SEED_MAX_ITEMS) {
      throw new ApiError(413, `at most ${SEED_MAX_ITEMS} items a request, got ${body.length}`, {
        limit: SEED_MAX_ITEMS,
      });
    }
    const budget = requestBudget(context, request);
    const window = Array.isArray(body) ? await forecastWindow(context.db, budget.horizonDays) : null;
    const items = parseSeedForecastBody(body, undefined, window);
    assertBatchPoints(batchPoints(items.map((item) => seedRangeDays(item.range))), budget.maxPoints);

    // Only a store number can have a model; "abc" or "007" names none (the reference's model names).
    const asked = items.flatMap((item, index) =>
      item.store === null
        ? []
        : [{ index, req: { store: item.store, productname: item.request.product_name, ...seedRangeDays(item.range) } }],
    );
    const started = performance.now();
    const found = await adhocForecastMany(
      context.db,
      context.models,
      asked.map((a) => a.req),
      budget,
    );
    const answers = new Array<RangeAnswer | null>(items.length).fill(null);
    asked.forEach((a, i) => {
      answers[a.index] = found[i]!;
    });

    const missing = answers.findIndex((a) => a === null || a instanceof Error);
    observeAdhocForecasts(items.length, (performance.now() - started) / 1000, missing < 0 ? "ok" : "error");
    if (missing >= 0) {
      const { store_id, product_name } = items[missing]!.request;
      const name = `${MODEL_NAME_PREFIX}${store_id}-${product_name}`;
      const why = (answers[missing] as Error | null)?.message ?? "no such store";
      return seedErrorResponse(404, `item ${missing}: no production model ${name}: ${why}`, {
        model_name: name,
        index: missing,
      });
    }

    // A batch's items mostly share their range: each range's timestamps are formatted once.
    const stamps = new Map<string, string[]>();
    const timestampsOf = (range: (typeof items)[number]["range"]) => {
      const key = `${range.begin}:${range.count}`;
      let out = stamps.get(key);
      if (!out) {
        out = seedRangeTimestamps(range);
        stamps.set(key, out);
      }
      return out;
    };
    return replyArray(
      seedApi.forecast,
      200,
      items.length,
      (i) => {
        const item = items[i]!;
        const answer = answers[i] as AdhocForecast; // every item has one: none is missing
        const timestamps = timestampsOf(item.range);
        return {
          request: item.request,
          forecast: answer.points.map((p, j) => ({
            timestamp: timestamps[j]!,
            // pandas' astype(int): truncated toward zero.
            value: Math.trunc(p.value),
            lower_ci: Math.trunc(p.lower),
            upper_ci: Math.trunc(p.upper),
          })),
          api: { model_name: answer.modelName, model_version: String(answer.modelVersion) },
        };
      },
      budget.signal,
    );
  });
}

export const loader = (_: LoaderFunctionArgs) => seedMethodNotAllowed(["POST"]);
