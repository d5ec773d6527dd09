import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { methodNotAllowed } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { seedApi } from "./contract.server.js";

/** Reference-compatible: GET /api/forecasters/health. */
export function loader({ context }: LoaderFunctionArgs) {
  return reply(seedApi.health, 200, { status: "ok", model_threads: context.models.threads });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
