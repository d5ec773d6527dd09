import { reply } from "../../server/api-contract.server.js";
import { seedServiceDocument } from "../_api+/openapi.server.js";
import { seedDocsApi } from "./docs-contract.server.js";
import { seedMethodNotAllowed } from "./seed.server.js";

/** GET /api/forecasters/openapi.json: the OpenAPI 3.1 document of the /api/forecasters endpoints only. */
export function loader() {
  return reply(seedDocsApi.forecastersOpenapi, 200, seedServiceDocument("forecasters"), {
    headers: { "Cache-Control": "public, max-age=300" },
  });
}

export const action = () => seedMethodNotAllowed(["GET"]);
