import { Queue } from "bullmq";
import { afterAll, describe, expect, it } from "vitest";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import { SKIPPED_PAUSED } from "../../app/jobs/bullmq-schedules.server.js";
import { databaseScheduleStore } from "../../app/jobs/schedule-store.server.js";
import { openScratchPostgres } from "../support/databases.js";
import { describeQueueContract, handlers } from "../support/queue-cases.js";
import { uniqueName, waitFor } from "../support/stream-cases.js";

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

    it("a tick of a scheduler still in Redis while its schedule is stored paused (a registration racing a pause) does not run", async () => {
      scratch ??= await openScratchPostgres("storecast_sched");
      const queueName = uniqueName("sched");
      const store = databaseScheduleStore(scratch.db, queueName);
      const q = await createBullmqQueue({ url, queueName, scheduleStore: store });
      const raw = new Queue(queueName, { connection: { url } });
      try {
        const runs: unknown[] = [];
        await q.startWorkers(
          handlers({
            "ingest-daily": async (data) => {
              runs.push(data);
              return null;
            },
          }),
        );
        await q.schedule([{ name: "tick", kind: "ingest-daily", cron: "* * * * * *", data: {} }]);
        await waitFor("a tick", () => runs.length >= 1, 15_000);
        // Paused in the database only, as another replica's pause seen by this one's stale scheduler.
        await store.setPaused("tick", true);
        await new Promise((r) => setTimeout(r, 1_200));
        const before = runs.length;
        await new Promise((r) => setTimeout(r, 2_500));
        expect(runs.length).toBe(before);
        expect(await raw.getJobScheduler("tick")).toBeDefined();
        const skipped = (await q.list({ kind: "ingest-daily" })).filter((j) => j.status === "SUCCEEDED");
        expect(skipped.some((j) => JSON.stringify(j.result) === JSON.stringify(SKIPPED_PAUSED))).toBe(true);
        await q.close(0);
      } finally {
        await raw.obliterate({ force: true }).catch(() => {});
        await raw.close();
      }
    });
  });
}
