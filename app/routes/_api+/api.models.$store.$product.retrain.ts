import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { dedupeKeyOf } from "../../jobs/dedupe.js";
import { allowMethods, api, assertSeries, methodNotAllowed, seriesParams } from "../../server/api.server.js";
import { acceptedJob, jobQueue } from "../../server/api-jobs.server.js";

/**
 * POST /api/models/:store/:product/retrain: enqueues a `train-one` job (202). While one for the same
 * series is pending or running, its id comes back with `deduplicated: true`.
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    const key = seriesParams(params);
    const jobs = jobQueue(context);
    await assertSeries(context.db, key.store, key.productname);
    const enqueued = await jobs.enqueue("train-one", key, { dedupeKey: dedupeKeyOf("train-one", key) });
    return acceptedJob(jobs, enqueued);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
