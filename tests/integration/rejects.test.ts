import { describe } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeRejectReads } from "../support/rejects-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

describe("rejected records on Postgres", () => {
  describeRejectReads("Postgres", async () => {
    const scratch = await createScratchDatabase(baseUrl, "storecast_rejects");
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
