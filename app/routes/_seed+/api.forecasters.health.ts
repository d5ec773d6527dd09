import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { registryAnswers } from "../../registry/summary.server.js";
import { reply } from "../../server/api-contract.server.js";
import { seedApi } from "./contract.server.js";
import { seedMethodNotAllowed } from "./seed.server.js";

/**
 * Reference-compatible: GET /api/forecasters/health. The reference asked MLflow for its experiments;
 * here the model registry is asked for one row.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  const answers = await registryAnswers(context.db);
  return reply(seedApi.health, 200, {
    serviceStatus: "OK",
    modelTrackingHealth: answers ? "Service returning experiments" : "Error calling the model registry",
  });
}

export const action = (_: ActionFunctionArgs) => seedMethodNotAllowed(["GET"]);
