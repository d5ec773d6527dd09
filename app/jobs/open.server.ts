import type { Logger } from "pino";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { createBullmqQueue } from "./bullmq.server.js";
import { createInProcessQueue } from "./in-process.server.js";
import { databaseJobStore } from "./job-store.server.js";
import { INTERRUPTED, type JobQueue } from "./port.js";
import { databaseScheduleStore } from "./schedule-store.server.js";

/** Thrown when REDIS_URL is set but Redis cannot be reached; one line, no stack. */
export class QueueUnavailableError extends Error {
  override name = "QueueUnavailableError";
}

/** How long start-up waits for Redis before giving up (exit code 1). */
const CONNECT_TIMEOUT_MS = 10_000;

/**
 * The job queue: BullMQ on Redis with REDIS_URL (its jobs kept in Redis), in-process otherwise (its
 * jobs kept in the database, so their status outlives this process). Either way the schedules and
 * their paused flags are kept in the database (job_schedules), shared by the replicas.
 */
export async function openJobQueue(
  config: Pick<Config, "REDIS_URL" | "JOB_QUEUE" | "JOB_CONCURRENCY">,
  log: Logger,
  db: Pick<Database, "sql">,
): Promise<JobQueue> {
  const scheduleStore = databaseScheduleStore(db, config.JOB_QUEUE);
  if (!config.REDIS_URL) {
    const store = databaseJobStore(db, config.JOB_QUEUE);
    // Jobs an earlier process left unfinished: nothing will run them (in-process jobs die with it).
    const stopped = await store.stopUnfinished(INTERRUPTED);
    log.info({ queue: "in-process", concurrency: config.JOB_CONCURRENCY, stopped }, "job queue ready");
    return createInProcessQueue({
      concurrency: config.JOB_CONCURRENCY,
      store,
      scheduleStore,
      onError: (err, what) => log.error({ err }, `job queue: ${what} failed`),
    });
  }
  const url = new URL(config.REDIS_URL);
  const where = `${url.hostname}:${url.port || 6379}`;
  let timer: NodeJS.Timeout | undefined;
  const opening = createBullmqQueue({
    url: config.REDIS_URL,
    queueName: config.JOB_QUEUE,
    concurrency: config.JOB_CONCURRENCY,
    scheduleStore,
    log,
  });
  try {
    const queue = await Promise.race([
      opening,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new QueueUnavailableError(`cannot reach Redis at ${where} within ${CONNECT_TIMEOUT_MS} ms`)),
          CONNECT_TIMEOUT_MS,
        );
      }),
    ]);
    log.info(
      { queue: "bullmq", name: config.JOB_QUEUE, redis: where, concurrency: config.JOB_CONCURRENCY },
      "job queue ready",
    );
    return queue;
  } catch (err) {
    // A late connection is closed rather than left dangling.
    void opening.then((q) => q.close(0)).catch(() => {});
    if (err instanceof QueueUnavailableError) throw err;
    throw new QueueUnavailableError(`cannot reach Redis at ${where}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}
