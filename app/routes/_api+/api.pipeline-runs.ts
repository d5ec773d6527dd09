import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listRuns } from "../../pipelines/runs.server.js";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { nativeApi, runsQuery } from "./contract.server.js";

/** GET /api/pipeline-runs?kind=&limit=: pipeline runs, newest first. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const query = parseQuery(request, runsQuery);
    return reply(nativeApi.listRuns, 200, {
      runs: await listRuns(context.db, { kind: query.kind, limit: query.limit }),
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
