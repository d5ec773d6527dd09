import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { getRun } from "../../pipelines/runs.server.js";
import { api, methodNotAllowed, notFound, parsePositiveInt } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/pipeline-runs/:id: one run with its steps, counts, progress and error. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const id = parsePositiveInt(params.id, "id");
    const run = await getRun(context.db, id);
    if (!run) throw notFound("pipeline-run", `unknown pipeline run ${id}`, { run: id });
    return reply(nativeApi.getRun, 200, run);
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
