import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { methodNotAllowed } from "../../server/api.server.js";
import { setScheduleState } from "./schedule-state.server.js";

/** POST /api/schedules/:name/resume: the schedule, firing again from its next tick (404 for an unknown name). */
export const action = (args: ActionFunctionArgs) => setScheduleState("resume", args);

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
