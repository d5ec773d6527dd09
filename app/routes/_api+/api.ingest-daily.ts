import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, methodNotAllowed, readJson } from "../../server/api.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";
import { ingestDailyBody } from "./schedules-contract.server.js";

/**
 * POST /api/ingest-daily {"day"?: "YYYY-MM-DD"}: enqueues the daily ingestion check of that day, by
 * default the day that just ended (UTC), as INGEST_CRON does (202); the same check already pending
 * or running is returned. 400 naming `day` for a malformed date.
 */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const { day } = await readJson(request, ingestDailyBody);
    const data = day === undefined ? { daysAgo: 1 } : { day };
    const answer = await submitJob(jobQueue(context), { kind: "ingest-daily", data });
    return auditJob(context, "ingest-daily.start", day ?? "the day that just ended", answer);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
