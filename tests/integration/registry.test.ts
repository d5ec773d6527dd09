import { afterAll, beforeAll, describe } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeRegistry } from "../support/registry-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

describe("model registry on Postgres", () => {
  // A database of its own per run: starts empty, dropped afterwards, and shared with no other suite.
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_registry");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  describeRegistry("Postgres", () => openDatabase({ databaseUrl: scratch!.url }));
});
