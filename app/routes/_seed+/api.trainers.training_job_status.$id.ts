import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { getJobOr404, jobQueue } from "../../server/api-jobs.server.js";
import { seedApi } from "./contract.server.js";

/**
 * Reference-compatible: GET /api/trainers/training_job_status/{id} answers
 * `{"train_job_id", "status"}`, status one of PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED.
 */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const job = await getJobOr404(jobQueue(context), params.id ?? "");
    return reply(seedApi.jobStatus, 200, { train_job_id: job.id, status: job.status });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
