import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ApiError, ValidationError } from "../../errors.js";
import { retryPipelineRun } from "../../pipelines/retry.server.js";
import { getRun } from "../../pipelines/runs.server.js";
import { allowMethods, api, methodNotAllowed, notFound, parsePositiveInt } from "../../server/api.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";

/**
 * POST /api/pipeline-runs/:id/retry: runs a failed or stopped run again as a new job (202).
 * 409 while it is pending or running, when it succeeded, or when its kind is not a job (history-load).
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const id = parsePositiveInt(params.id, "id");
    const jobs = jobQueue(context);
    const run = await getRun(context.db, id);
    if (!run) throw notFound("pipeline-run", `unknown pipeline run ${id}`, { run: id });
    const conflict = (message: string) => new ApiError(409, message, { run: id, kind: run.kind, status: run.status });
    if (run.status !== "FAILED" && run.status !== "STOPPED") {
      throw conflict(`pipeline run ${id} is ${run.status}: only a failed or stopped run can be retried`);
    }
    try {
      const answer = await submitJob(jobs, (queue) => retryPipelineRun(context.db, queue, id));
      return await auditJob(context, "pipeline-run.retry", `run ${id}`, answer);
    } catch (err) {
      // Its remaining refusals are about the run's state or kind, not the request.
      if (err instanceof ValidationError) throw conflict(err.message);
      throw err;
    }
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
