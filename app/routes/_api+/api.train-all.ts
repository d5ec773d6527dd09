import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { allowMethods, api, methodNotAllowed } from "../../server/api.server.js";
import { acceptedJob, jobQueue } from "../../server/api-jobs.server.js";

/** POST /api/train-all: enqueues a `train-all` job (202); one already pending or running is returned instead. */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    const jobs = jobQueue(context);
    return acceptedJob(jobs, await jobs.enqueue("train-all", { runKind: "train-all" }, { dedupeKey: "train-all" }));
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
