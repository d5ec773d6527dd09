import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listAutoRetrains } from "../../monitoring/auto-retrain.server.js";
import { degradedSeries } from "../../monitoring/drift-check.server.js";
import { describeReason } from "../../monitoring/drift-rules.js";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { driftApi, driftQuery } from "./drift-contract.server.js";

/** GET /api/drift?limit=: the degraded series, worst first, and the automatic retrains, newest first. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const { limit } = parseQuery(request, driftQuery);
    const [degraded, retrains] = await Promise.all([
      degradedSeries(context.db, limit),
      listAutoRetrains(context.db, { limit }),
    ]);
    return reply(driftApi.getDrift, 200, {
      autoRetrain: context.config.AUTO_RETRAIN,
      degraded: degraded.map(({ productname, ...d }) => ({
        ...d,
        product: productname,
        why: d.reasons.map(describeReason),
      })),
      autoRetrains: retrains.map(({ productname, verdict, ...r }) => ({
        ...r,
        product: productname,
        verdict: verdict as "pending" | "helped" | "same" | "worse" | "failed",
      })),
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
