/**
 * Runs the stream's ingest consumer alone, without the web server: joins KAFKA_GROUP_ID on
 * KAFKA_TOPIC at KAFKA_BROKERS and writes into DATABASE_URL (or PGlite in PGLITE_DIR) until
 * SIGTERM or SIGINT, then finishes the batch in flight, commits it and exits 0. The crash test
 * (tests/integration/ingest-crash.test.ts) kills it with SIGKILL to prove nothing is lost.
 *
 *   tsx scripts/consume.ts
 *
 * Exit code 1 on a start-up error (one line on stderr).
 */
import { ConfigError, loadConfig } from "../app/platform/config.server.js";
import { DatabaseUnreachableError } from "../app/platform/db.server.js";
import { createLogger } from "../app/platform/log.server.js";
import { MigrationError } from "../app/platform/migrate.server.js";
import { openConfiguredDatabase } from "../app/server/startup.server.js";
import { openSalesStream } from "../app/stream/open.server.js";
import { StreamUnavailableError } from "../app/stream/port.js";
import { startWorkers } from "../workers/index.js";
import { ingestConsumer } from "../workers/ingest-consumer.js";

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.KAFKA_BROKERS) {
    throw new ConfigError(
      "KAFKA_BROKERS is not set: a consumer of its own needs Kafka (the in-process stream lives inside `npm start`)",
    );
  }
  const log = createLogger(config);
  const db = await openConfiguredDatabase(config);
  const stream = openSalesStream(config, log);
  const ctx = { config, db, log };
  let workers: Awaited<ReturnType<typeof startWorkers>>;
  try {
    workers = await startWorkers(ctx, [ingestConsumer(ctx, stream, { summaryIntervalMs: 5000 })]);
  } catch (err) {
    await stream.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
  log.info({ topic: config.KAFKA_TOPIC, groupId: config.KAFKA_GROUP_ID, database: db.kind }, "consumer up");
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "consumer stopping");
    await workers.stop();
    await stream.close();
    await db.close();
    log.info("consumer stopped cleanly");
    await new Promise<void>((resolve) => log.flush(() => resolve()));
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
}

const EXPECTED = [ConfigError, DatabaseUnreachableError, MigrationError, StreamUnavailableError];
main().catch((err: unknown) => {
  const known = EXPECTED.some((E) => err instanceof E);
  console.error(`consume: ${known ? (err as Error).message : ((err as Error).stack ?? String(err))}`);
  process.exit(1);
});
