import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { methodNotAllowed } from "../../server/api.server.js";
import { setScheduleState } from "./schedule-state.server.js";

/** POST /api/schedules/:name/pause: the schedule, paused for every replica and across restarts (404 for an unknown name). */
export const action = (args: ActionFunctionArgs) => setScheduleState("pause", args);

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
