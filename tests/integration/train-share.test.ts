import { afterAll, beforeAll } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeSharedTraining } from "../support/train-share-cases.js";

let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
beforeAll(async () => {
  scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_share");
});
afterAll(async () => {
  await scratch?.drop();
});

describeSharedTraining("Postgres", () => openDatabase({ databaseUrl: scratch!.url }));
