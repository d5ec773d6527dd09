import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue } from "../../server/api-jobs.server.js";
import { scheduleJson, scheduleViews } from "../../server/schedules.server.js";
import { schedulesApi } from "./schedules-contract.server.js";

/** GET /api/schedules: each schedule with its cron in words, paused flag, next run and last run. */
export function loader({ context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const views = await scheduleViews(jobQueue(context));
    return reply(schedulesApi.listSchedules, 200, { schedules: views.map(scheduleJson) });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
