import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, methodNotAllowed } from "../../server/api.server.js";
import { jobQueue, submitJob } from "../../server/api-jobs.server.js";

/** POST /api/retention: enqueues a `retention` job (202); one already pending or running is returned instead. */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    return submitJob(jobQueue(context), { kind: "retention", data: {} });
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
