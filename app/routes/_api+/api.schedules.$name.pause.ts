import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, methodNotAllowed } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue } from "../../server/api-jobs.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { parseScheduleName, scheduleJson, scheduleView, unknownSchedule } from "../../server/schedules.server.js";
import { schedulesApi } from "./schedules-contract.server.js";

/** POST /api/schedules/:name/pause: the schedule, paused for every replica and across restarts (404 for an unknown name). */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const name = parseScheduleName(params.name);
    const jobs = jobQueue(context);
    const schedule = await jobs.pauseSchedule(name);
    if (!schedule) throw unknownSchedule(name);
    await audit(context, "schedule.pause", `schedule ${name}`);
    return reply(schedulesApi.pauseSchedule, 200, scheduleJson(await scheduleView(jobs, schedule)));
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
