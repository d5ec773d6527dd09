import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { ValidationError } from "../../errors.js";
import { isLogLevel } from "../../pipelines/run-log.js";
import { readRunLog } from "../../pipelines/run-log.server.js";
import { getRun } from "../../pipelines/runs.server.js";
import { api, methodNotAllowed, notFound, parsePositiveInt } from "../../server/api.server.js";

/**
 * GET /pipelines/:id/log.json?after=&level=: the run page's live log: the run's status and its kept
 * lines after line `after` (a number the page already shows; default none), `level` and above.
 * 404 for an unknown run; 400 naming the field for a bad `after` or `level`.
 */
export function loader({ request, params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const id = parsePositiveInt(params.id, "id");
    const query = new URL(request.url).searchParams;
    const afterText = query.get("after") ?? "-1";
    if (!/^-?\d{1,10}$/.test(afterText) || Number(afterText) < -1) {
      throw new ValidationError("after", `after is a line number (-1 or more), got "${afterText.slice(0, 20)}"`);
    }
    const level = query.get("level") || undefined;
    if (level !== undefined && !isLogLevel(level)) {
      throw new ValidationError("level", `level is one of debug, info, warn, error, got "${level.slice(0, 20)}"`);
    }
    const [run, log] = await Promise.all([
      getRun(context.db, id),
      readRunLog(context.db, id, { after: Number(afterText), level }),
    ]);
    if (!run || !log) throw notFound("pipeline-run", `unknown pipeline run ${id}`, { run: id });
    return Response.json({ id, status: run.status, ...log }, { headers: { "Cache-Control": "no-store" } });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
