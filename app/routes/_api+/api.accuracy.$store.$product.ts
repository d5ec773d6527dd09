import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { seriesAccuracy } from "../../monitoring/accuracy.server.js";
import { api, assertSeries, methodNotAllowed, parseQuery, seriesParams } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { seriesAccuracyQuery } from "./accuracy-contract.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/accuracy/:store/:product?weeks=8: one series' realized accuracy per ISO week and per day. */
export function loader({ params, request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const key = seriesParams(params);
    const { weeks } = parseQuery(request, seriesAccuracyQuery);
    await assertSeries(context.db, key.store, key.productname);
    return reply(
      nativeApi.seriesAccuracy,
      200,
      await seriesAccuracy(context.db, key.store, key.productname, { weeks }),
    );
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
