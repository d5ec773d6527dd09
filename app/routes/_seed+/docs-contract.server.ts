/**
 * The contract of each reference-compatible service's OpenAPI document (FastAPI served one per
 * service): GET /api/forecasters/openapi.json and /api/trainers/openapi.json. Kept apart from the
 * reference contract (contract.server.ts), which declares the reference system's own endpoints: these
 * documents describe those endpoints and are not listed in them.
 */
import { endpoint, json, openapiBody } from "../../server/api-contract.server.js";

const document = (service: string) =>
  endpoint({
    method: "get",
    path: `/api/${service}/openapi.json`,
    summary: `The OpenAPI document of the /api/${service} endpoints (Swagger UI: /api/${service}/docs)`,
    tags: ["docs"],
    responses: { 200: json(openapiBody) },
  });

export const seedDocsApi = {
  forecastersOpenapi: document("forecasters"),
  trainersOpenapi: document("trainers"),
};
