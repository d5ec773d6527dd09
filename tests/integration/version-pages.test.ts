import { describe } from "vitest";
import { openScratchPostgres } from "../support/databases.js";
import { describeVersionPages } from "../support/version-pages-cases.js";

describe("model version pages on Postgres", () => {
  describeVersionPages("Postgres", () => openScratchPostgres("storecast_versionpages"));
});
