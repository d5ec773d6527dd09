import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, parseQuery, runsQuery } from "../api.server.js";
import { listRuns } from "../pipeline-runs.server.js";

/** GET /api/pipeline-runs?kind=&limit=: pipeline runs, newest first. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(async () => {
    const query = parseQuery(request, runsQuery);
    return Response.json({ runs: await listRuns(context.db, { kind: query.kind, limit: query.limit }) });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
