import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, assertSeries, methodNotAllowed, seriesParams } from "../../server/api.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";
import { requestRetrain } from "../../training/retrain-cooldown.server.js";

/**
 * POST /api/models/:store/:product/retrain: enqueues a `train-one` job (202). While one for the same
 * series is pending or running, its id comes back with `deduplicated: true`; once it finished, another
 * within RETRAIN_COOLDOWN_S is refused (429 with Retry-After).
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "planner");
    const key = seriesParams(params);
    const jobs = jobQueue(context);
    await assertSeries(context.db, key.store, key.productname);
    const answer = await submitJob(jobs, (queue) =>
      requestRetrain(context.db, queue, key, context.config.RETRAIN_COOLDOWN_S),
    );
    return auditJob(context, "model.retrain", `store ${key.store} product ${key.productname}`, answer);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
