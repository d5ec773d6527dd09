import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import { databaseScheduleStore } from "../../app/jobs/schedule-store.server.js";
import { openScratchPostgres } from "../support/databases.js";
import { describeQueueContract } from "../support/queue-cases.js";
import { uniqueName } from "../support/stream-cases.js";

// BullMQ on the Redis that scripts/start-redis.sh starts: export "$(bash scripts/start-redis.sh | tail -n 1)".
const url = process.env.REDIS_URL;

if (!url) {
  describe("job queue contract on BullMQ", () => {
    it.skip('needs REDIS_URL (e.g. export "$(bash scripts/start-redis.sh | tail -n 1)")', () => {});
  });
} else {
  // The schedules' paused flags live in Postgres (a database of this suite's own), as in production.
  let scratch: ReturnType<typeof openScratchPostgres> | undefined;
  afterAll(async () => (await scratch)?.dispose());
  const open = async (queueName: string, opts: object) => {
    scratch ??= openScratchPostgres("storecast_queue");
    const { db } = await scratch;
    return createBullmqQueue({ url, queueName, ...opts, scheduleStore: databaseScheduleStore(db, queueName) });
  };
  describeQueueContract("BullMQ (Redis)", open, {
    shared: true,
    timeoutMs: 15_000,
    async cleanup(queueName) {
      const q = new Queue(queueName, { connection: { url } });
      try {
        await q.obliterate({ force: true });
        // The adapter's own keys (cancellation marks) are not BullMQ's to remove.
        const client = await q.backend.client;
        let cursor = "0";
        do {
          const [next, keys] = await client.scan(cursor, {
            MATCH: `bull:${queueName}:storecast-cancelled:*`,
            COUNT: 500,
          });
          if (keys.length > 0) await client.del(...keys);
          cursor = next;
        } while (cursor !== "0");
      } finally {
        await q.close();
      }
    },
  });
}

if (url) {
  describe("BullMQ schedules paused in the database", () => {
    let scratch: Awaited<ReturnType<typeof openScratchPostgres>> | undefined;
    afterAll(async () => scratch?.dispose());

    it("pausing removes the job scheduler from Redis, a restart does not add it back, resuming does", async () => {
      scratch ??= await openScratchPostgres("storecast_sched");
      const queueName = uniqueName("sched");
      const open = () =>
        createBullmqQueue({ url, queueName, scheduleStore: databaseScheduleStore(scratch!.db, queueName) });
      const raw = new Queue(queueName, { connection: { url } });
      const schedule = { name: "weekly", kind: "train-all" as const, cron: "0 2 * * 1", data: {} };
      try {
        const first = await open();
        await first.schedule([schedule]);
        expect(await raw.getJobScheduler("weekly")).toMatchObject({ pattern: "0 2 * * 1", tz: "UTC" });
        await first.pauseSchedule("weekly");
        expect(await raw.getJobScheduler("weekly")).toBeUndefined();
        await first.close(0);

        const again = await open();
        await again.schedule([schedule]);
        expect(await raw.getJobScheduler("weekly")).toBeUndefined();
        const resumed = await again.resumeSchedule("weekly");
        const scheduler = await raw.getJobScheduler("weekly");
        expect(scheduler).toMatchObject({ pattern: "0 2 * * 1" });
        expect(resumed?.nextRunAt?.getTime()).toBe(scheduler?.next);
        await again.close(0);
      } finally {
        await raw.obliterate({ force: true }).catch(() => {});
        await raw.close();
      }
    });
  });
}
