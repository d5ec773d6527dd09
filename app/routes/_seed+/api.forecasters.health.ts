import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { methodNotAllowed } from "../../server/api.server.js";

/** Reference-compatible: GET /api/forecasters/health. */
export function loader({ context }: LoaderFunctionArgs) {
  return Response.json({ status: "ok", model_threads: context.models.threads });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
