import { Queue } from "bullmq";
import { describe, it } from "vitest";
import { createBullmqQueue } from "../../app/jobs/bullmq.server.js";
import { describeQueueContract } from "../support/queue-cases.js";

// BullMQ on the Redis that scripts/start-redis.sh starts: export "$(bash scripts/start-redis.sh | tail -n 1)".
const url = process.env.REDIS_URL;

if (!url) {
  describe("job queue contract on BullMQ", () => {
    it.skip('needs REDIS_URL (e.g. export "$(bash scripts/start-redis.sh | tail -n 1)")', () => {});
  });
} else {
  describeQueueContract("BullMQ (Redis)", (queueName, opts) => createBullmqQueue({ url, queueName, ...opts }), {
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
