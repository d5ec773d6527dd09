import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { hasNul } from "../../rossmann.js";
import { readBodyText } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";
import { auditJob, requireRole } from "../../server/authorize.server.js";
import { seedApi } from "./contract.server.js";
import { NUL_MESSAGE } from "./forecast-request.server.js";
import { SeedValidationError, seedCall, seedIssue, seedMethodNotAllowed } from "./seed.server.js";

/**
 * Reference-compatible: POST /api/trainers/{store_id}/{product_name}/train retrains one series.
 * Like the reference, any integer store and any product are accepted: the job checks the series and
 * ends FAILED with the reason when there is none (its clients only read the job's status).
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return seedCall(context, async () => {
    if (request.method !== "POST") return seedMethodNotAllowed(["POST"]);
    requireRole(context, request, "planner");
    // pydantic v1's int from a path segment: optional sign, digits.
    const text = params.store ?? "";
    const store = /^[+-]?\d{1,18}$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(store)) throw new SeedValidationError([seedIssue.integer(["path", "store_id"])]);
    const productname = params.product ?? "";
    // Stricter than the reference: the job could not even be recorded (Postgres text holds no NUL).
    if (hasNul(productname)) throw new SeedValidationError([seedIssue.value(["path", "product_name"], NUL_MESSAGE)]);
    await readBodyText(request);
    const answer = await submitJob(jobQueue(context), { kind: "train-one", data: { store, productname } }, ({ id }) =>
      reply(seedApi.trainOne, 200, { train_job_id: id, status: "SUBMITTED" }),
    );
    return auditJob(context, "model.retrain", `store ${store} product ${productname}`, answer);
  });
}

export const loader = (_: LoaderFunctionArgs) => seedMethodNotAllowed(["POST"]);
