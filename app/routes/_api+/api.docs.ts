import { methodNotAllowed } from "../../server/api.server.js";
import { swaggerUiPage } from "../../server/swagger-ui.server.js";

/** GET /api/docs: Swagger UI on /api/openapi.json (an HTML page for people, so not in the contract). */
export const loader = () => swaggerUiPage("storecast HTTP API", "/api/openapi.json");

export const action = () => methodNotAllowed(["GET"]);
