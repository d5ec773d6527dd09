import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, methodNotAllowed } from "../../server/api.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";

/** POST /api/batch-forecast: enqueues a `batch-forecast` job (202); one already pending or running is returned. */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const answer = await submitJob(jobQueue(context), { kind: "batch-forecast", data: {} });
    return auditJob(context, "batch-forecast.start", "every series in production", answer);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
