import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { latestAnomalies } from "../../monitoring/anomalies.server.js";
import { allowMethods, api } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/anomalies: the newest anomaly scan, stores highest score first (empty before the first scan). */
export function loader({ context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const latest = await latestAnomalies(context.db);
    return reply(
      nativeApi.anomalies,
      200,
      latest ?? { day: null, windowDays: null, storesScanned: 0, scannedAt: null, stores: [] },
    );
  });
}

/** POST /api/anomalies: enqueues an `anomaly-scan` of yesterday (202); one already pending or running is returned. */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const answer = await submitJob(jobQueue(context), { kind: "anomaly-scan", data: { daysAgo: 1 } });
    return auditJob(context, "anomalies.scan", "every store", answer);
  });
}
