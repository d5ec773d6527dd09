import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { createInProcessQueue, nextCronTick } from "../../../app/jobs/in-process.server.js";
import { databaseJobStore } from "../../../app/jobs/job-store.server.js";
import { JOB_RETRIES, retryDelay, retryPolicy } from "../../../app/jobs/retries.server.js";
import { databaseScheduleStore } from "../../../app/jobs/schedule-store.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { describeQueueContract } from "../../support/queue-cases.js";

// As in embedded mode: the queue keeps its jobs in the database (PGlite), one record set per queue name.
let db: Promise<Database> | undefined;
afterAll(async () => (await db)?.close());
describeQueueContract("the in-process queue", async (name, opts) => {
  db ??= openDatabase({ pgliteDir: "memory://" });
  const database = await db;
  return createInProcessQueue({
    ...opts,
    store: databaseJobStore(database, name),
    scheduleStore: databaseScheduleStore(database, name),
  });
});

describe("retries and schedules", () => {
  it("one table of retries: train-all once after 30 s, train-one and train-chunk twice exponential from 2 s, retention, the drift check and the anomaly scan three times from 30 s, the rest three times from 5 s", () => {
    expect(JOB_RETRIES).toEqual({
      "train-all": { attempts: 2, backoff: { type: "fixed", delayMs: 30_000 } },
      "train-one": { attempts: 2, backoff: { type: "exponential", delayMs: 2_000 } },
      "train-chunk": { attempts: 2, backoff: { type: "exponential", delayMs: 2_000 } },
      "batch-forecast": { attempts: 3, backoff: { type: "exponential", delayMs: 5_000 } },
      "ingest-daily": { attempts: 3, backoff: { type: "exponential", delayMs: 5_000 } },
      retention: { attempts: 3, backoff: { type: "exponential", delayMs: 30_000 } },
      "drift-check": { attempts: 3, backoff: { type: "exponential", delayMs: 30_000 } },
      "anomaly-scan": { attempts: 3, backoff: { type: "exponential", delayMs: 30_000 } },
    });
    const ingest = retryPolicy("ingest-daily");
    expect([retryDelay(ingest, 1), retryDelay(ingest, 2)]).toEqual([5_000, 10_000]);
    expect(retryDelay(retryPolicy("train-all"), 1)).toBe(30_000);
    expect(retryPolicy("train-all", { retryDelayScale: 0.001 }).backoff.delayMs).toBe(30);
  });

  it("computes the next cron tick in UTC", () => {
    // Monday 02:00 UTC, from a Sunday evening.
    expect(nextCronTick("0 2 * * 1", new Date("2026-03-08T23:30:00Z")).toISOString()).toBe("2026-03-09T02:00:00.000Z");
    expect(nextCronTick("5 0 * * *", new Date("2026-03-08T00:05:00Z")).toISOString()).toBe("2026-03-09T00:05:00.000Z");
  });
});

describe("in-process schedules under a clock that runs behind the timers", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a tick whose timer fires a hair early by the wall clock runs once, not again at the same second", async () => {
    vi.useFakeTimers({ now: Date.parse("2026-01-01T00:00:00.500Z"), toFake: ["setTimeout", "clearTimeout", "Date"] });
    const q = createInProcessQueue();
    try {
      await q.schedule([{ name: "tick", kind: "ingest-daily", cron: "* * * * * *", data: {} }]);
      // The wall clock steps back 3 ms (an NTP slew, or timers on another clock than Date): the
      // timer for 00:00:01 then fires at 00:00:00.997 by Date.
      vi.setSystemTime(Date.parse("2026-01-01T00:00:00.497Z"));
      await vi.advanceTimersByTimeAsync(500);
      expect(await q.list({ kind: "ingest-daily" })).toHaveLength(1);
      // The next run is the next second's, not a second run at 00:00:01.
      await vi.advanceTimersByTimeAsync(10);
      expect(await q.list({ kind: "ingest-daily" })).toHaveLength(1);
      await vi.advanceTimersByTimeAsync(1000);
      expect(await q.list({ kind: "ingest-daily" })).toHaveLength(2);
    } finally {
      await q.close(0);
    }
  });
});
