import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { jobJson, jobQueue } from "../../server/api-jobs.server.js";
import { jobsQuery, nativeApi } from "./contract.server.js";

/** GET /api/jobs?kind=&limit=: recent jobs, newest first. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const query = parseQuery(request, jobsQuery);
    const jobs = await jobQueue(context).list({ kind: query.kind, limit: query.limit });
    return reply(nativeApi.listJobs, 200, { jobs: jobs.map(jobJson) });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
