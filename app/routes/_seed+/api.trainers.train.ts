import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { readBodyText } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { seedApi } from "./contract.server.js";
import { seedCall, seedMethodNotAllowed } from "./seed.server.js";

/** Reference-compatible: POST /api/trainers/train retrains every series (a train-all job). */
export function action({ request, context }: ActionFunctionArgs) {
  return seedCall(context, async () => {
    if (request.method !== "POST") return seedMethodNotAllowed(["POST"]);
    await readBodyText(request); // any body is ignored, as in the reference system (but still size-limited)
    return submitJob(jobQueue(context), { kind: "train-all", data: { runKind: "train-all" } }, ({ id }) =>
      reply(seedApi.trainAll, 200, { train_job_id: id, status: "SUBMITTED" }),
    );
  });
}

export const loader = (_: LoaderFunctionArgs) => seedMethodNotAllowed(["POST"]);
