/** POST /api/schedules/:name/pause and .../resume: one handler, the state they set their only difference. */
import type { ActionFunctionArgs } from "@remix-run/node";
import { allowMethods, api } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue } from "../../server/api-jobs.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { parseScheduleName, scheduleJson, scheduleView, unknownSchedule } from "../../server/schedules.server.js";
import { schedulesApi } from "./schedules-contract.server.js";

export function setScheduleState(op: "pause" | "resume", { request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const name = parseScheduleName(params.name);
    const jobs = jobQueue(context);
    const schedule = op === "pause" ? await jobs.pauseSchedule(name) : await jobs.resumeSchedule(name);
    if (!schedule) throw unknownSchedule(name);
    await audit(context, `schedule.${op}`, `schedule ${name}`);
    const endpoint = op === "pause" ? schedulesApi.pauseSchedule : schedulesApi.resumeSchedule;
    return reply(endpoint, 200, scheduleJson(await scheduleView(jobs, schedule)));
  });
}
