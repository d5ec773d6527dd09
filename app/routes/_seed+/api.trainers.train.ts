import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { readBodyText } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";
import { seedApi } from "./contract.server.js";
import { seedCall, seedMethodNotAllowed } from "./seed.server.js";

/** Reference-compatible: POST /api/trainers/train retrains every series (a train-all job). */
export function action({ request, context }: ActionFunctionArgs) {
  return seedCall(context, async () => {
    if (request.method !== "POST") return seedMethodNotAllowed(["POST"]);
    requireRole(context, request, "operator");
    await readBodyText(request); // any body is ignored, as in the reference system (but still size-limited)
    const answer = await submitJob(jobQueue(context), { kind: "train-all", data: { runKind: "train-all" } }, ({ id }) =>
      reply(seedApi.trainAll, 200, { train_job_id: id, status: "SUBMITTED" }),
    );
    return auditJob(context, "train-all.start", "every series", answer);
  });
}

export const loader = (_: LoaderFunctionArgs) => seedMethodNotAllowed(["POST"]);
