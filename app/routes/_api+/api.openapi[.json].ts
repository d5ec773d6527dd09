import type { ActionFunctionArgs } from "@remix-run/node";
import { methodNotAllowed } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { nativeApi } from "./contract.server.js";
import { openapiDocument } from "./openapi.server.js";

/** GET /api/openapi.json: the OpenAPI 3.1 document of every API route. */
export function loader() {
  return reply(nativeApi.openapi, 200, openapiDocument(), { headers: { "Cache-Control": "public, max-age=300" } });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
