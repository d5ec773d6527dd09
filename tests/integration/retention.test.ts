import { describe } from "vitest";
import { openScratchPostgres } from "../support/databases.js";
import { describeRetention } from "../support/retention-cases.js";

describe("retention on Postgres", () => {
  // A database of its own per group: retention deletes across every series.
  describeRetention("Postgres", () => openScratchPostgres("storecast_retention"));
});
