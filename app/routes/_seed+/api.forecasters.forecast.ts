import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ApiError } from "../../errors.js";
import { adhocForecastMany, type RangeRequest } from "../../forecasting/adhoc-many.server.js";
import { observeAdhocForecasts } from "../../platform/metrics.server.js";
import { MODEL_NAME_PREFIX } from "../../registry/versions.server.js";
import { readBodyText } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { SEED_MAX_BODY_BYTES, SEED_MAX_ITEMS, seedApi } from "./contract.server.js";
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
  const text = await readBodyText(request, SEED_MAX_BODY_BYTES);
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
 */
export function action({ request, context }: ActionFunctionArgs) {
  return seedCall(context, async () => {
    if (request.method !== "POST") return seedMethodNotAllowed(["POST"]);
    const body = await seedBody(request);
    if (Array.isArray(body) && body.length > SEED_MAX_ITEMS) {
      throw new ApiError(413, `at most ${SEED_MAX_ITEMS} items a request, got ${body.length}`, {
        limit: SEED_MAX_ITEMS,
      });
    }
    const items = parseSeedForecastBody(body);

    // Only a store number can have a model; "abc" or "007" names none (the reference's model names).
    const asked: { index: number; req: RangeRequest }[] = [];
    for (const [index, item] of items.entries()) {
      if (item.store === null) continue;
      const req = { store: item.store, productname: item.request.product_name, ...seedRangeDays(item.range) };
      asked.push({ index, req });
    }
    const started = performance.now();
    const answers = await adhocForecastMany(
      context.db,
      context.models,
      asked.map((a) => a.req),
    );
    const byIndex = new Map(asked.map((a, i) => [a.index, answers[i]!]));

    const missing = items.findIndex((_, i) => {
      const a = byIndex.get(i);
      return a === undefined || a instanceof Error;
    });
    observeAdhocForecasts(items.length, (performance.now() - started) / 1000, missing < 0 ? "ok" : "error");
    if (missing >= 0) {
      const { store_id, product_name } = items[missing]!.request;
      const name = `${MODEL_NAME_PREFIX}${store_id}-${product_name}`;
      const why = byIndex.get(missing) as Error | undefined;
      return seedErrorResponse(
        404,
        `item ${missing}: no production model ${name}: ${why?.message ?? "no such store"}`,
        {
          model_name: name,
          index: missing,
        },
      );
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
    return reply(
      seedApi.forecast,
      200,
      items.map((item, i) => {
        const answer = byIndex.get(i) as Exclude<ReturnType<typeof byIndex.get>, Error | undefined>;
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
      }),
    );
  });
}

export const loader = (_: LoaderFunctionArgs) => seedMethodNotAllowed(["POST"]);
