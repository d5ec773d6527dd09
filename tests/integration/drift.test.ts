import { openScratchPostgres } from "../support/databases.js";
import { describeDrift } from "../support/drift-cases.js";

// A database of its own: the drift check reads every series in production.
describeDrift("Postgres", () => openScratchPostgres("storecast_drift"));
