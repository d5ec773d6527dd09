import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ApiError } from "../../errors.js";
import { FINAL_JOB_STATUSES } from "../../jobs/port.js";
import { allowMethods, api } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { getJobOr404, jobJson, jobQueue } from "../../server/api-jobs.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { stopTrainRunsOfJob } from "../../training/train-runs.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/jobs/:id: a job's status, progress, result or error. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () =>
    reply(nativeApi.getJob, 200, jobJson(await getJobOr404(jobQueue(context), params.id ?? ""))),
  );
}

/**
 * DELETE /api/jobs/:id: cancels a job. A pending one is removed (STOPPED); a running one is told to
 * stop and ends STOPPED. 409 when it has already finished.
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["DELETE"]);
    requireRole(context, request, "planner");
    const jobs = jobQueue(context);
    const id = params.id ?? "";
    const job = await getJobOr404(jobs, id);
    const conflict = () =>
      new ApiError(409, `job ${id} has already finished (${job.status}): nothing to cancel`, {
        job: id,
        status: job.status,
      });
    // A planner may cancel a retrain of one series; anything bigger is an operator's.
    if (job.kind !== "train-one") requireRole(context, request, "operator");
    if (FINAL_JOB_STATUSES.has(job.status)) throw conflict();
    if (!(await jobs.cancel(id))) {
      const now = await getJobOr404(jobs, id);
      if (FINAL_JOB_STATUSES.has(now.status)) throw conflict();
    }
    // A train-all waiting to resume has a PENDING run: end it, so it is not resumed and its helpers stop.
    if (job.kind === "train-all") await stopTrainRunsOfJob(context.db, id, "cancelled");
    const after = await getJobOr404(jobs, id);
    await audit(context, "job.cancel", `job ${id}`, { kind: job.kind });
    // 200 once stopped (a pending job), 202 while a running one winds down.
    return reply(nativeApi.cancelJob, FINAL_JOB_STATUSES.has(after.status) ? 200 : 202, {
      ...jobJson(after),
      cancelled: true,
    });
  });
}
