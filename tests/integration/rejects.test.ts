import { describe } from "vitest";
import { openScratchPostgres } from "../support/databases.js";
import { describeRejectReads } from "../support/rejects-cases.js";

describe("rejected records on Postgres", () => {
  describeRejectReads("Postgres", () => openScratchPostgres("storecast_rejects"));
});
