import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeDrift } from "../support/drift-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

// A database of its own: the drift check reads every series in production.
describeDrift("Postgres", async () => {
  const scratch = await createScratchDatabase(baseUrl, "storecast_drift");
  const db = await openDatabase({ databaseUrl: scratch.url });
  return {
    db,
    async dispose() {
      await db.close();
      await scratch.drop();
    },
  };
});
