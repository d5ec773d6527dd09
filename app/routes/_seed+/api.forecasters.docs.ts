import { swaggerUiPage } from "../../server/swagger-ui.server.js";
import { SEED_SERVICES } from "../_api+/openapi.server.js";
import { seedMethodNotAllowed } from "./seed.server.js";

/** GET /api/forecasters/docs: Swagger UI on the service's own document, beside it as FastAPI had it. */
export const loader = () => swaggerUiPage(SEED_SERVICES.forecasters.title, "/api/forecasters/openapi.json");

export const action = () => seedMethodNotAllowed(["GET"]);
