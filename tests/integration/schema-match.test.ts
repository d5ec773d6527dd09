import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { schemaMatchSuite } from "../support/schema-match.js";

// scripts/start-postgres.sh starts Postgres and prints this URL; the role needs CREATEDB.
const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

schemaMatchSuite("migrations on a new, empty Postgres database match schema.prisma", async () => {
  const scratch = await createScratchDatabase(baseUrl, "storecast_schema");
  try {
    const db = await openDatabase({ databaseUrl: scratch.url, migrate: false });
    return {
      db,
      async dispose() {
        try {
          await db.close();
        } finally {
          await scratch.drop();
        }
      },
    };
  } catch (err) {
    await scratch.drop();
    throw err;
  }
});
