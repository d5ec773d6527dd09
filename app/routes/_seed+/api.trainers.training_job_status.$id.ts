import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue } from "../../server/api-jobs.server.js";
import { seedApi } from "./contract.server.js";
import { seedCall, seedMethodNotAllowed } from "./seed.server.js";

/**
 * Reference-compatible: GET /api/trainers/training_job_status/{id} answers
 * `{"train_job_id", "status"}` (PENDING, RUNNING, SUCCEEDED, FAILED, STOPPED), and an unknown id
 * 400 `{"train_job_id", "status": "ERROR", "error": "Task not found"}`, as the reference did.
 */
export function loader({ params, context }: LoaderFunctionArgs) {
  return seedCall(context, async () => {
    const id = params.id ?? "";
    const job = id.length <= 200 ? await jobQueue(context).get(id) : null;
    if (!job) return reply(seedApi.jobStatus, 400, { train_job_id: id, status: "ERROR", error: "Task not found" });
    return reply(seedApi.jobStatus, 200, { train_job_id: job.id, status: job.status });
  });
}

export const action = (_: ActionFunctionArgs) => seedMethodNotAllowed(["GET"]);
