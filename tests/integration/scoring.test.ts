/**
 * Realized accuracy on real services: the scoring contract on Postgres, and actuals produced to
 * Kafka scored as the consumer writes them into Postgres (needs KAFKA_BROKERS:
 * `export $(bash scripts/start-kafka.sh | tail -n 1)`).
 */
import { afterAll, beforeAll, describe } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { KafkaStream } from "../../app/stream/kafka.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeScoring } from "../support/scoring-cases.js";
import { describeScoringThroughStream } from "../support/scoring-stream-cases.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
const brokers = process.env.KAFKA_BROKERS?.split(",").map((b) => b.trim());

describe("realized accuracy on Postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_scoring");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  describeScoring("Postgres", () => openDatabase({ databaseUrl: scratch!.url }));

  describe.skipIf(!brokers)(
    `through Kafka (${brokers ? brokers.join(",") : "skipped: KAFKA_BROKERS is unset"})`,
    () => {
      describeScoringThroughStream("Kafka, Postgres", {
        openDb: () => openDatabase({ databaseUrl: scratch!.url }),
        openStream: (topic) => new KafkaStream({ brokers: brokers!, topic, sessionTimeoutMs: 6000 }),
        timeoutMs: 30_000,
      });
    },
  );
});
