import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMutationLimiter, LIMIT_NAME } from "../../app/server/rate-limits.server.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { describeRateLimits, describeSharedBudget } from "../support/rate-limit-cases.js";
import { uniqueName } from "../support/stream-cases.js";

// The Redis that scripts/start-redis.sh starts: export "$(bash scripts/start-redis.sh | tail -n 1)".
const redisUrl = process.env.REDIS_URL;

describe.runIf(redisUrl)("rate limits counted in Redis", () => {
  const clients: Redis[] = [];
  const limiterOnRedis = (perMinute: number, keyPrefix: string) => {
    // A client per limiter, as each replica has its own connection.
    const redis = new Redis(redisUrl as string, { enableOfflineQueue: false });
    clients.push(redis);
    return new Promise<ReturnType<typeof createMutationLimiter>>((resolve, reject) => {
      redis.once("ready", () => resolve(createMutationLimiter({ perMinute, keyPrefix, redis })));
      redis.once("error", reject);
    });
  };
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.quit()));
  });

  describeRateLimits("Redis", limiterOnRedis);
  describeSharedBudget("Redis", limiterOnRedis);
});

describe("rate limits through the running server", () => {
  const queue = uniqueName("storecast-rl");
  let server: RunningServer;

  beforeAll(async () => {
    const dataDir = tempDir("rate-limits");
    server = await startServer({
      PGLITE_DIR: `${dataDir}/pglite`,
      DATA_DIR: dataDir,
      GENERATE_STORES: "3",
      GENERATE_DAYS: "60",
      AUTO_TRAIN: "false",
      STREAM_PRODUCER: "false",
      SCHEDULES: "false",
      RATE_LIMIT_MUTATIONS: "3",
      ...(redisUrl ? { REDIS_URL: redisUrl, JOB_QUEUE: queue } : {}),
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    if (redisUrl) {
      const q = new Queue(queue, { connection: { url: redisUrl } });
      await q.obliterate({ force: true }).finally(() => q.close());
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`storecast:${queue}:*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
    }
  });

  it("refuses a client's fourth request that changes something within a minute, in each path's shape", async () => {
    const post = (path: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { method: "POST", headers, redirect: "manual" });
    // Three answered by their routes (an unknown run: 404), whatever they answered.
    for (let i = 0; i < 3; i++) expect((await post("/api/pipeline-runs/999999/retry")).status).toBe(404);

    const api = await post("/api/pipeline-runs/999999/retry");
    expect(api.status).toBe(429);
    expect(Number(api.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect(await api.json()).toMatchObject({
      error: expect.stringContaining(LIMIT_NAME),
      details: { limit: LIMIT_NAME, perMinute: 3 },
    });
    const seed = await post("/api/trainers/train");
    expect(seed.status).toBe(429);
    expect(await seed.json()).toMatchObject({ detail: expect.stringContaining(LIMIT_NAME), limit: LIMIT_NAME });
    const form = await post("/pipelines", {
      Accept: "text/html,application/xhtml+xml,*/*;q=0.8",
      "Content-Type": "application/x-www-form-urlencoded",
    });
    expect(form.status).toBe(429);
    expect(await form.text()).toMatch(/<h1>Too many requests<\/h1>/);

    // Reading is never limited.
    expect((await fetch(`${server.url}/api/stores`)).status).toBe(200);
    expect((await fetch(`${server.url}/pipelines`)).status).toBe(200);
  });

  it.runIf(redisUrl)("keeps the counts in Redis, where every replica reads them", async () => {
    const redis = new Redis(redisUrl as string);
    try {
      expect(await redis.keys(`storecast:${queue}:rl-mutations*`)).not.toHaveLength(0);
    } finally {
      await redis.quit();
    }
  });
});
