import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { fleetAccuracy } from "../../monitoring/accuracy.server.js";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { fleetAccuracyQuery } from "./accuracy-contract.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/accuracy?days=28: the fleet's realized accuracy per day, and the last 7 days together. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const { days } = parseQuery(request, fleetAccuracyQuery);
    return reply(nativeApi.fleetAccuracy, 200, await fleetAccuracy(context.db, { days }));
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
