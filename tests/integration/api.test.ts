import { randomBytes } from "node:crypto";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe } from "vitest";
import { defineApiCases, waitForInitialTraining } from "../support/api-cases.js";
import { createScratchDatabase } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { defineSeedCases } from "../support/seed-cases.js";

// The HTTP API against the production server process (`tsx server.ts` on the Remix build; run
// `npm run build` first), with the small generated data set, trained on start.
const SMALL_DATA = { GENERATE_STORES: "6", GENERATE_DAYS: "60", GENERATE_SEED: "7" };

describe("HTTP API on PGlite and the in-process queue", () => {
  const dataDir = tempDir("api");
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...SMALL_DATA });
    await waitForInitialTraining(server.url);
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  defineApiCases(() => ({ url: server.url }));
  defineSeedCases(() => ({ url: server.url }));
});

describe.runIf(process.env.DATABASE_URL && process.env.REDIS_URL)("HTTP API on Postgres and BullMQ (Redis)", () => {
  const suffix = randomBytes(4).toString("hex");
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_api");
    server = await startServer({
      DATABASE_URL: scratch.url,
      REDIS_URL: process.env.REDIS_URL as string,
      // A queue of its own: nothing left in Redis by other runs is seen, nothing of this one leaks.
      JOB_QUEUE: `storecast-api-test-${suffix}`,
      DATA_DIR: tempDir("api-pg"),
      ...SMALL_DATA,
    });
    await waitForInitialTraining(server.url);
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
    await scratch?.drop();
    const queue = new Queue(`storecast-api-test-${suffix}`, { connection: { url: process.env.REDIS_URL as string } });
    await queue.obliterate({ force: true });
    await queue.close();
  });

  defineApiCases(() => ({ url: server.url }));
  defineSeedCases(() => ({ url: server.url }));
});
