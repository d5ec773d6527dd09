import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, methodNotAllowed } from "../../server/api.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";
import { parseScheduleName, unknownSchedule } from "../../server/schedules.server.js";

/**
 * POST /api/schedules/:name/run: enqueues the schedule's job now, paused or not (202); the same job
 * already pending or running is returned instead. 404 for an unknown name.
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const name = parseScheduleName(params.name);
    const answer = await submitJob(jobQueue(context), async (jobs) => {
      const job = await jobs.runSchedule(name);
      if (!job) throw unknownSchedule(name);
      return job;
    });
    return auditJob(context, "schedule.run", `schedule ${name}`, answer);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
