import { afterAll, beforeAll } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeForecasting } from "../support/forecast-cases.js";

let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
beforeAll(async () => {
  scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_forecast");
});
afterAll(async () => {
  await scratch?.drop();
});

describeForecasting("Postgres", () => openDatabase({ databaseUrl: scratch!.url }));
