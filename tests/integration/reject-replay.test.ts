import { describe } from "vitest";
import { openScratchPostgres } from "../support/databases.js";
import { describeRejectReplay } from "../support/reject-replay-cases.js";

describe("replaying rejects on Postgres", () => {
  describeRejectReplay("Postgres", () => openScratchPostgres("storecast_replay"));
});
