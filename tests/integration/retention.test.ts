import { describe } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeRetention } from "../support/retention-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

describe("retention on Postgres", () => {
  // A database of its own per group: retention deletes across every series.
  describeRetention("Postgres", async () => {
    const scratch = await createScratchDatabase(baseUrl, "storecast_retention");
    const db = await openDatabase({ databaseUrl: scratch.url });
    return {
      db,
      async dispose() {
        await db.close();
        await scratch.drop();
      },
    };
  });
});
