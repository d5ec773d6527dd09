import { swaggerUiPage } from "../../server/swagger-ui.server.js";
import { SEED_SERVICES } from "../_api+/openapi.server.js";
import { seedMethodNotAllowed } from "./seed.server.js";

/** GET /api/trainers/docs: Swagger UI on the service's own document, beside it as FastAPI had it. */
export const loader = () => swaggerUiPage(SEED_SERVICES.trainers.title, "/api/trainers/openapi.json");

export const action = () => seedMethodNotAllowed(["GET"]);
