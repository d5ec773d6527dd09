import { reply } from "../../server/api-contract.server.js";
import { seedServiceDocument } from "../_api+/openapi.server.js";
import { seedDocsApi } from "./docs-contract.server.js";
import { seedMethodNotAllowed } from "./seed.server.js";

/** GET /api/trainers/openapi.json: the OpenAPI 3.1 document of the /api/trainers endpoints only. */
export function loader() {
  return reply(seedDocsApi.trainersOpenapi, 200, seedServiceDocument("trainers"), {
    headers: { "Cache-Control": "public, max-age=300" },
  });
}

export const action = () => seedMethodNotAllowed(["GET"]);
