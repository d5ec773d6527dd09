/**
 * Contract suite for the job queue port: the same cases run on the in-process queue (unit) and on
 * BullMQ with Redis (integration), so the embedded adapter cannot drift from the real one. Every
 * test uses a queue name of its own; the suite closes what it opened and cleans the name up.
 */
import { afterEach, describe, expect, it } from "vitest";
import { NotFoundError } from "../../app/errors.js";
import {
  ABORT_CANCELLED,
  ABORT_SHUTDOWN,
  type JobEvent,
  type JobHandlers,
  type JobInfo,
  type JobKind,
  type JobQueue,
  type JobStatus,
} from "../../app/jobs/port.js";
import type { RetryOverrides } from "../../app/jobs/retries.server.js";
import { uniqueName, waitFor } from "./stream-cases.js";

export interface QueueTestOptions extends RetryOverrides {
  /** After close()'s timeout, how long aborted handlers get to return. */
  abortGraceMs?: number;
}

export interface QueueContractOptions {
  /**
   * Whether two queues opened with the same name are replicas of one queue (BullMQ on one Redis)
   * rather than two independent queues (in-process): runs the cross-replica cases.
   */
  shared?: boolean;
  /** Removes what a test left under `name` (BullMQ: obliterate the queue). */
  cleanup?: (name: string) => Promise<void>;
  /** How long a job may take to be picked up and reported (Redis round trips: longer). */
  timeoutMs?: number;
}

const FAST: QueueTestOptions = { retryDelayScale: 0.001, abortGraceMs: 1_000 };

const unexpected = (kind: JobKind) => async () => {
  throw new Error(`unexpected ${kind} job`);
};

/** Handlers for the kinds a test uses; any other kind fails loudly. */
export function handlers(h: Partial<JobHandlers>): JobHandlers {
  return {
    "train-one": unexpected("train-one"),
    "train-all": unexpected("train-all"),
    "train-chunk": unexpected("train-chunk"),
    "batch-forecast": unexpected("batch-forecast"),
    "ingest-daily": unexpected("ingest-daily"),
    retention: unexpected("retention"),
    "drift-check": unexpected("drift-check"),
    "anomaly-scan": unexpected("anomaly-scan"),
    ...h,
  };
}

function gate(): { wait: () => Promise<void>; open: () => void; opened: () => boolean } {
  let open = () => {};
  let opened = false;
  const p = new Promise<void>((r) => {
    open = () => {
      opened = true;
      r();
    };
  });
  return { wait: () => p, open: () => open(), opened: () => opened };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function describeQueueContract(
  name: string,
  open: (queueName: string, opts: QueueTestOptions) => Promise<JobQueue>,
  contract: QueueContractOptions = {},
): void {
  const timeoutMs = contract.timeoutMs ?? 5_000;

  describe(`job queue contract on ${name}`, () => {
    const opened: JobQueue[] = [];
    const names = new Set<string>();

    const openQueue = async (queueName = uniqueName("q"), opts: QueueTestOptions = FAST) => {
      names.add(queueName);
      const q = await open(queueName, opts);
      opened.push(q);
      return q;
    };

    afterEach(async () => {
      await Promise.allSettled(opened.splice(0).map((q) => q.close(0)));
      for (const n of names) await contract.cleanup?.(n);
      names.clear();
    });

    const statusIs = async (q: JobQueue, id: string, status: JobStatus): Promise<JobInfo> => {
      let info: JobInfo | null = null;
      await waitFor(
        `job ${id} to be ${status} (last: ${JSON.stringify(info)})`,
        async () => {
          info = await q.get(id);
          return info?.status === status;
        },
        timeoutMs,
      );
      return info as unknown as JobInfo;
    };

    it("still answers a finished job's status after 1,000 newer jobs finished", async () => {
      const q = await openQueue();
      await q.startWorkers(handlers({ "ingest-daily": async () => "ok" }), { concurrency: 8 });
      const first = await q.enqueue("ingest-daily", { day: "2025-01-01" });
      await statusIs(q, first.id, "SUCCEEDED");
      const newer = await Promise.all(Array.from({ length: 1_001 }, () => q.enqueue("ingest-daily", {})));
      await statusIs(q, newer.at(-1)!.id, "SUCCEEDED");
      await waitFor(
        "the newer jobs to finish",
        async () => {
          const d = await q.depth();
          return d.waiting + d.delayed + d.running === 0;
        },
        timeoutMs * 6,
      );
      expect(await q.get(first.id)).toMatchObject({ id: first.id, status: "SUCCEEDED", result: "ok" });
    }, 120_000);

    it("runs a job: PENDING, then RUNNING, then SUCCEEDED with the handler's result", async () => {
      const q = await openQueue();
      const release = gate();
      const { id, deduplicated } = await q.enqueue("train-one", { store: 7, productname: "product_A" });
      expect(deduplicated).toBe(false);
      expect(typeof id).toBe("string");
      const events: JobEvent[] = [];
      q.subscribe(id, (e) => events.push(e));
      expect(await q.get(id)).toMatchObject({
        id,
        kind: "train-one",
        data: { store: 7, productname: "product_A" },
        status: "PENDING",
        result: null,
        error: null,
        startedAt: null,
        finishedAt: null,
      });

      await q.startWorkers(
        handlers({
          "train-one": async (data, ctx) => {
            await release.wait();
            return { trained: `${data.store}/${data.productname}`, attempt: ctx.attempt, id: ctx.id };
          },
        }),
      );
      const running = await statusIs(q, id, "RUNNING");
      expect(running.startedAt).toBeInstanceOf(Date);
      release.open();
      const done = await statusIs(q, id, "SUCCEEDED");
      expect(done).toMatchObject({
        result: { trained: "7/product_A", attempt: 1, id },
        error: null,
        attempts: 1,
      });
      expect(done.finishedAt?.getTime()).toBeGreaterThanOrEqual(done.startedAt?.getTime() ?? Number.NaN);
      await waitFor("the SUCCEEDED event", () => events.some((e) => e.status === "SUCCEEDED"), timeoutMs);
      expect(events.find((e) => e.status === "SUCCEEDED")).toMatchObject({
        id,
        result: { trained: "7/product_A" },
      });
      expect(events.map((e) => e.status)).toContain("RUNNING");

      const second = await q.enqueue("batch-forecast", {});
      const listed = await q.list();
      expect(listed.map((j) => j.id).slice(0, 2)).toEqual([second.id, id]);
      expect((await q.list({ kind: "train-one" })).map((j) => j.id)).toEqual([id]);
      expect(await q.get("no-such-job")).toBeNull();
    });

    it("delivers progress to subscribers in order", async () => {
      const q = await openQueue();
      const { id } = await q.enqueue("train-all", { runKind: "train-all" });
      const seen: number[] = [];
      const statuses: JobStatus[] = [];
      const off = q.subscribe(id, (e) => {
        statuses.push(e.status);
        if (e.progress && e.progress.done !== seen.at(-1)) seen.push(e.progress.done);
      });
      await q.startWorkers(
        handlers({
          "train-all": async (_data, ctx) => {
            for (let i = 1; i <= 5; i++) {
              ctx.progress(i, 5);
              await sleep(20);
            }
            return { ok: true };
          },
        }),
      );
      await statusIs(q, id, "SUCCEEDED");
      await waitFor("every progress event", () => seen.length >= 5 && statuses.includes("SUCCEEDED"), timeoutMs);
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect((await q.get(id))?.progress).toEqual({ done: 5, total: 5 });
      off();
    });

    it("retries a failing job with backoff and ends FAILED with the last error after the attempts", async () => {
      const q = await openQueue(undefined, {
        ...FAST,
        retries: { "ingest-daily": { attempts: 3, backoff: { type: "exponential", delayMs: 150 } } },
        retryDelayScale: 1,
      });
      const calls: { attempt: number; at: number }[] = [];
      await q.startWorkers(
        handlers({
          "ingest-daily": async (_data, ctx) => {
            calls.push({ attempt: ctx.attempt, at: Date.now() });
            throw new Error(`lag unreadable (attempt ${ctx.attempt})`);
          },
        }),
      );
      const { id } = await q.enqueue("ingest-daily", { day: "2026-01-05" });
      const failed = await statusIs(q, id, "FAILED");
      expect(failed).toMatchObject({ error: "lag unreadable (attempt 3)", attempts: 3, result: null });
      expect(calls.map((c) => c.attempt)).toEqual([1, 2, 3]);
      // Exponential: 150 ms, then 300 ms (timers may fire a little early or late; never much early).
      expect(calls[1]!.at - calls[0]!.at).toBeGreaterThanOrEqual(140);
      expect(calls[2]!.at - calls[1]!.at).toBeGreaterThanOrEqual(280);
      await sleep(300);
      expect(calls).toHaveLength(3);
    });

    it("fails at once, without retries, when the handler's error is permanent (an unknown series)", async () => {
      const q = await openQueue(undefined, {
        ...FAST,
        retries: { "train-one": { attempts: 3, backoff: { type: "fixed", delayMs: 50 } } },
        retryDelayScale: 1,
      });
      const attempts: number[] = [];
      await q.startWorkers(
        handlers({
          "train-one": async (data, ctx) => {
            attempts.push(ctx.attempt);
            throw new NotFoundError("store", `unknown store ${data.store}`);
          },
        }),
      );
      const { id } = await q.enqueue("train-one", { store: 4242, productname: "product_A" });
      expect(await statusIs(q, id, "FAILED")).toMatchObject({ error: "unknown store 4242", attempts: 1 });
      await sleep(200);
      expect(attempts).toEqual([1]);
    });

    it("a job that fails once and then succeeds ends SUCCEEDED on its second attempt", async () => {
      const q = await openQueue();
      await q.startWorkers(
        handlers({
          "train-one": async (_data, ctx) => {
            if (ctx.attempt === 1) throw new Error("optimiser hiccup");
            return { attempt: ctx.attempt };
          },
        }),
      );
      const { id } = await q.enqueue("train-one", { store: 1, productname: "product_A" });
      expect(await statusIs(q, id, "SUCCEEDED")).toMatchObject({ result: { attempt: 2 }, attempts: 2 });
    });

    it("dedupes by key while a job is PENDING or RUNNING, and takes a new job once it finished", async () => {
      const q = await openQueue();
      const key = "train-one:262:product_A";
      const data = { store: 262, productname: "product_A" };
      const first = await q.enqueue("train-one", data, { dedupeKey: key });
      expect(await q.enqueue("train-one", data, { dedupeKey: key })).toEqual({ id: first.id, deduplicated: true });
      expect(await q.findActive(key)).toMatchObject({ id: first.id, status: "PENDING", data });
      expect(await q.findActive("train-one:263:product_A")).toBeNull();
      // Another key, or no key, is another job.
      expect((await q.enqueue("train-one", data, { dedupeKey: "other" })).id).not.toBe(first.id);
      expect((await q.enqueue("batch-forecast", {})).deduplicated).toBe(false);

      const release = gate();
      await q.startWorkers(
        handlers({
          "train-one": async () => {
            await release.wait();
            return null;
          },
          "batch-forecast": async () => null,
        }),
      );
      await statusIs(q, first.id, "RUNNING");
      expect(await q.enqueue("train-one", data, { dedupeKey: key })).toEqual({ id: first.id, deduplicated: true });
      expect(await q.findActive(key)).toMatchObject({ id: first.id, status: "RUNNING" });
      release.open();
      await statusIs(q, first.id, "SUCCEEDED");
      expect(await q.findActive(key)).toBeNull();
      const next = await q.enqueue("train-one", data, { dedupeKey: key });
      expect(next.deduplicated).toBe(false);
      expect(next.id).not.toBe(first.id);
      await statusIs(q, next.id, "SUCCEEDED");
    });

    it("cancels a PENDING job: STOPPED, never runs, and its dedupe key is free again", async () => {
      const q = await openQueue();
      const ran: string[] = [];
      const key = "batch-forecast";
      const { id } = await q.enqueue("batch-forecast", {}, { dedupeKey: key });
      const events: JobEvent[] = [];
      q.subscribe(id, (e) => events.push(e));
      expect(await q.cancel(id)).toBe(true);
      expect(await q.get(id)).toMatchObject({ status: "STOPPED", startedAt: null });
      expect(await q.findActive(key)).toBeNull();
      await waitFor("the STOPPED event", () => events.some((e) => e.status === "STOPPED"), timeoutMs);

      const after = await q.enqueue("batch-forecast", {}, { dedupeKey: key });
      expect(after).toMatchObject({ deduplicated: false });
      expect(after.id).not.toBe(id);
      await q.startWorkers(
        handlers({
          "batch-forecast": async (_data, ctx) => {
            ran.push(ctx.id);
            return null;
          },
        }),
      );
      await statusIs(q, after.id, "SUCCEEDED");
      await sleep(100);
      expect(ran).toEqual([after.id]);
      expect((await q.get(id))?.status).toBe("STOPPED");
      // Finished jobs and unknown ids cannot be cancelled.
      expect(await q.cancel(after.id)).toBe(false);
      expect(await q.cancel("no-such-job")).toBe(false);
    });

    it("cancels a RUNNING job: its signal is aborted, it ends STOPPED and is not retried", async () => {
      const q = await openQueue();
      let calls = 0;
      let aborted: unknown;
      await q.startWorkers(
        handlers({
          "train-all": (_data, ctx) =>
            new Promise((_resolve, reject) => {
              calls++;
              ctx.signal.addEventListener("abort", () => {
                aborted = ctx.signal.reason;
                reject(new Error("stopped taking series"));
              });
            }),
        }),
      );
      const { id } = await q.enqueue("train-all", {}, { dedupeKey: "train-all" });
      await statusIs(q, id, "RUNNING");
      expect(await q.cancel(id)).toBe(true);
      const stopped = await statusIs(q, id, "STOPPED");
      expect(aborted).toBe(ABORT_CANCELLED);
      expect(stopped.finishedAt).toBeInstanceOf(Date);
      await sleep(200);
      expect(calls).toBe(1);
      expect((await q.get(id))?.status).toBe("STOPPED");
      expect((await q.enqueue("train-all", {}, { dedupeKey: "train-all" })).deduplicated).toBe(false);
    });

    it("runs at most `concurrency` jobs at once", async () => {
      const q = await openQueue();
      let active = 0;
      let most = 0;
      await q.startWorkers(
        handlers({
          "batch-forecast": async () => {
            active++;
            most = Math.max(most, active);
            await sleep(150);
            active--;
            return null;
          },
        }),
        { concurrency: 2 },
      );
      const ids = await Promise.all(Array.from({ length: 5 }, () => q.enqueue("batch-forecast", {})));
      for (const { id } of ids) await statusIs(q, id, "SUCCEEDED");
      expect(most).toBe(2);
    });

    it("reports its depth: waiting, delayed (a retry's backoff) and running jobs; cancelled and finished ones are not counted", async () => {
      const q = await openQueue(uniqueName("q"), {
        ...FAST,
        retries: { "ingest-daily": { attempts: 2, backoff: { type: "fixed", delayMs: 60_000 } } },
      });
      expect(await q.depth()).toEqual({ waiting: 0, delayed: 0, running: 0 });
      const first = await q.enqueue("train-one", { store: 1, productname: "product_A" });
      await q.enqueue("train-one", { store: 2, productname: "product_A" });
      const third = await q.enqueue("train-one", { store: 3, productname: "product_A" });
      expect(await q.depth()).toEqual({ waiting: 3, delayed: 0, running: 0 });
      expect(await q.cancel(third.id)).toBe(true);
      expect(await q.depth()).toEqual({ waiting: 2, delayed: 0, running: 0 });

      const release = gate();
      await q.startWorkers(
        handlers({
          "train-one": async () => {
            await release.wait();
            return null;
          },
          "ingest-daily": async () => {
            throw new Error("the day is not complete yet");
          },
        }),
        { concurrency: 1 },
      );
      await statusIs(q, first.id, "RUNNING");
      expect(await q.depth()).toEqual({ waiting: 1, delayed: 0, running: 1 });
      release.open();
      let last = await q.depth();
      await waitFor(
        `an empty queue (last: ${JSON.stringify(last)})`,
        async () => {
          last = await q.depth();
          return last.waiting === 0 && last.running === 0;
        },
        timeoutMs,
      );
      expect(last).toEqual({ waiting: 0, delayed: 0, running: 0 });

      // A failed attempt waits out its backoff as delayed.
      const failing = await q.enqueue("ingest-daily", {});
      await waitFor(
        "the failed attempt to wait for its retry",
        async () => (await q.get(failing.id))?.attempts === 1 && (await q.get(failing.id))?.status === "PENDING",
        timeoutMs,
      );
      await waitFor("delayed: 1", async () => (await q.depth()).delayed === 1, timeoutMs);
      expect(await q.depth()).toEqual({ waiting: 0, delayed: 1, running: 0 });
    });

    it("fires schedules on their cron ticks with their data", async () => {
      const q = await openQueue();
      const runs: { data: unknown; at: number }[] = [];
      await q.startWorkers(
        handlers({
          "ingest-daily": async (data) => {
            runs.push({ data, at: Date.now() });
            return null;
          },
        }),
      );
      // Six fields: every second (the adapters take cron-parser's optional seconds field).
      await q.schedule([{ name: "tick", kind: "ingest-daily", cron: "* * * * * *", data: { daysAgo: 1 } }]);
      await waitFor("two ticks", () => runs.length >= 2, timeoutMs);
      expect(runs[0]!.data).toEqual({ daysAgo: 1 });
      expect(runs[1]!.at - runs[0]!.at).toBeGreaterThanOrEqual(500);
      // Registering the same name again replaces the schedule rather than adding one.
      await q.schedule([{ name: "tick", kind: "ingest-daily", cron: "* * * * * *", data: { daysAgo: 2 } }]);
      const from = runs.length;
      const started = Date.now();
      await waitFor("two more ticks", () => runs.length >= from + 2, timeoutMs);
      const seconds = Math.ceil((Date.now() - started) / 1000);
      expect(runs.length - from).toBeLessThanOrEqual(seconds + 1);
      expect(runs.at(-1)!.data).toEqual({ daysAgo: 2 });
      expect((await q.list({ kind: "ingest-daily" })).length).toBeGreaterThanOrEqual(2);
    });

    describe("pausing, resuming and running schedules now", () => {
      const EVERY_SECOND = "* * * * * *";
      const counting = () => {
        const runs: unknown[] = [];
        const hs = handlers({
          "ingest-daily": async (data) => {
            runs.push(data);
            return null;
          },
        });
        return { runs, hs };
      };
      /** Waits past a second's tick, so a job already under way when the schedule changed is counted. */
      const settle = () => sleep(1_200);

      it("lists each schedule with its kind, cron, data, next run and last job", async () => {
        const q = await openQueue();
        const { runs, hs } = counting();
        await q.startWorkers(hs);
        await q.schedule([
          { name: "tick", kind: "ingest-daily", cron: EVERY_SECOND, data: { daysAgo: 1 } },
          { name: "weekly", kind: "train-all", cron: "0 2 * * 1", data: { runKind: "train-weekly" } },
        ]);
        await waitFor("a tick", () => runs.length >= 1, timeoutMs);
        let listed = await q.listSchedules();
        await waitFor(
          "the tick's job to be recorded",
          async () => {
            listed = await q.listSchedules();
            return listed.find((s) => s.name === "tick")?.lastJobId != null;
          },
          timeoutMs,
        );
        expect(listed.map((s) => s.name)).toEqual(["tick", "weekly"]);
        const [tick, weekly] = listed;
        expect(weekly).toMatchObject({ kind: "train-all", cron: "0 2 * * 1", data: { runKind: "train-weekly" } });
        expect(weekly).toMatchObject({ paused: false, lastJobId: null, lastRunAt: null });
        // Monday 02:00 UTC, whenever that is next.
        expect(weekly!.nextRunAt?.getUTCDay()).toBe(1);
        expect(weekly!.nextRunAt?.getUTCHours()).toBe(2);
        expect(tick!.nextRunAt).toBeInstanceOf(Date);
        const job = await q.get(tick!.lastJobId!);
        expect(job).toMatchObject({ kind: "ingest-daily", data: { daysAgo: 1 } });
      });

      it("a paused schedule does not fire; resumed, it fires again", async () => {
        const q = await openQueue();
        const { runs, hs } = counting();
        await q.startWorkers(hs);
        await q.schedule([{ name: "tick", kind: "ingest-daily", cron: EVERY_SECOND, data: {} }]);
        await waitFor("a tick", () => runs.length >= 1, timeoutMs);
        const paused = await q.pauseSchedule("tick");
        expect(paused).toMatchObject({ name: "tick", paused: true, nextRunAt: null });
        expect((await q.listSchedules())[0]).toMatchObject({ paused: true, nextRunAt: null });
        await settle();
        const before = runs.length;
        await sleep(2_500);
        expect(runs.length).toBe(before);

        const resumed = await q.resumeSchedule("tick");
        expect(resumed).toMatchObject({ paused: false });
        expect(resumed!.nextRunAt).toBeInstanceOf(Date);
        await waitFor("a tick after resuming", () => runs.length > before, timeoutMs);
      });

      it("a paused schedule stays paused across a restart (the queue reopened on the same store)", async () => {
        const queueName = uniqueName("q");
        const first = await openQueue(queueName);
        const schedule = { name: "tick", kind: "ingest-daily" as const, cron: EVERY_SECOND, data: {} };
        await first.schedule([schedule]);
        await first.pauseSchedule("tick");
        await first.close(0);

        const again = await openQueue(queueName);
        const { runs, hs } = counting();
        await again.startWorkers(hs);
        // What a start-up does: register the schedules again.
        await again.schedule([schedule]);
        expect(await again.listSchedules()).toMatchObject([{ name: "tick", paused: true, nextRunAt: null }]);
        await sleep(2_500);
        expect(runs).toEqual([]);
        await again.resumeSchedule("tick");
        await waitFor("a tick once resumed", () => runs.length >= 1, timeoutMs);
      });

      it("Run now enqueues the schedule's job with its data, paused or not, and records it as the last run", async () => {
        const q = await openQueue();
        const { runs, hs } = counting();
        await q.schedule([{ name: "daily", kind: "ingest-daily", cron: "5 0 * * *", data: { daysAgo: 1 } }]);
        await q.pauseSchedule("daily");
        const first = await q.runSchedule("daily");
        expect(first).toMatchObject({ deduplicated: false });
        // Not started yet: a second Run now joins the same job.
        expect(await q.runSchedule("daily")).toEqual({ id: first!.id, deduplicated: true });
        await q.startWorkers(hs);
        await statusIs(q, first!.id, "SUCCEEDED");
        expect(runs).toEqual([{ daysAgo: 1 }]);
        expect((await q.listSchedules())[0]).toMatchObject({ name: "daily", paused: true, lastJobId: first!.id });
        expect((await q.listSchedules())[0]!.lastRunAt).toBeInstanceOf(Date);
      });

      it("unknown names: pause, resume and Run now answer null and change nothing", async () => {
        const q = await openQueue();
        await q.schedule([{ name: "daily", kind: "ingest-daily", cron: "5 0 * * *", data: {} }]);
        // (BullMQ lists a schedule's next tick as a delayed job.)
        const jobsBefore = (await q.list()).map((j) => j.id);
        expect(await q.pauseSchedule("nope")).toBeNull();
        expect(await q.resumeSchedule("nope")).toBeNull();
        expect(await q.runSchedule("nope")).toBeNull();
        expect(await q.runSchedule("bad\u0000name")).toBeNull();
        expect((await q.list()).map((j) => j.id)).toEqual(jobsBefore);
        expect((await q.listSchedules()).map((s) => [s.name, s.paused])).toEqual([["daily", false]]);
      });
    });

    it("rejects a malformed cron expression", async () => {
      const q = await openQueue();
      await expect(
        q.schedule([{ name: "bad", kind: "batch-forecast", cron: "every day", data: {} }]),
      ).rejects.toThrow();
    });

    it("close waits for a running job up to the timeout", async () => {
      const q = await openQueue();
      let finished = false;
      await q.startWorkers(
        handlers({
          "batch-forecast": async () => {
            await sleep(400);
            finished = true;
            return null;
          },
        }),
      );
      const { id } = await q.enqueue("batch-forecast", {});
      await statusIs(q, id, "RUNNING");
      const started = Date.now();
      await q.close(5_000);
      expect(finished).toBe(true);
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it("ping answers while the queue is open and fails once it is closed", async () => {
      const q = await openQueue();
      await expect(q.ping()).resolves.toBeUndefined();
      await q.close(0);
      await expect(q.ping()).rejects.toThrow();
    });

    it("close gives up on a job still running after the timeout: its signal is aborted for the shutdown", async () => {
      const q = await openQueue();
      let aborted: unknown;
      await q.startWorkers(
        handlers({
          "train-all": (_data, ctx) =>
            new Promise((resolve) => {
              const timer = setTimeout(resolve, 20_000);
              ctx.signal.addEventListener("abort", () => {
                aborted = ctx.signal.reason;
                clearTimeout(timer);
                resolve(null);
              });
            }),
        }),
      );
      const { id } = await q.enqueue("train-all", {});
      await statusIs(q, id, "RUNNING");
      const started = Date.now();
      await q.close(300);
      const took = Date.now() - started;
      expect(aborted).toBe(ABORT_SHUTDOWN);
      // In one process nothing can take the job over: it ends STOPPED (BullMQ: see the replica case).
      if (!contract.shared) expect((await q.get(id))?.status).toBe("STOPPED");
      expect(took).toBeGreaterThanOrEqual(250);
      expect(took).toBeLessThan(5_000);
      await expect(q.enqueue("train-all", {})).rejects.toThrow(/closed/);
    });

    describe.runIf(contract.shared)("replicas (two queues on one name)", () => {
      it("a job runs on the replica with workers; events and cancellation reach the other one", async () => {
        const queueName = uniqueName("q");
        const web = await openQueue(queueName);
        const worker = await openQueue(queueName);
        const started = gate();
        await worker.startWorkers(
          handlers({
            "train-one": async (data) => ({ store: data.store }),
            "train-all": (_data, ctx) =>
              new Promise((_resolve, reject) => {
                started.open();
                ctx.signal.addEventListener("abort", () => reject(new Error("aborted")));
              }),
          }),
        );
        const { id } = await web.enqueue("train-one", { store: 3, productname: "product_A" });
        const events: JobEvent[] = [];
        web.subscribe(id, (e) => events.push(e));
        await waitFor("SUCCEEDED on the other replica", () => events.some((e) => e.status === "SUCCEEDED"), timeoutMs);
        expect(events.find((e) => e.status === "SUCCEEDED")?.result).toEqual({ store: 3 });
        expect(await web.get(id)).toMatchObject({ status: "SUCCEEDED", result: { store: 3 } });

        const long = await web.enqueue("train-all", {});
        await started.wait();
        await statusIs(web, long.id, "RUNNING");
        expect(await web.cancel(long.id)).toBe(true);
        await statusIs(web, long.id, "STOPPED");
        await statusIs(worker, long.id, "STOPPED");
      });

      it("a job still running when its replica closes past the timeout goes back to the queue: another replica runs it, no attempt used up", async () => {
        const queueName = uniqueName("q");
        const leaving = await openQueue(queueName);
        const staying = await openQueue(queueName);
        const reasons: unknown[] = [];
        const started = gate();
        await leaving.startWorkers(
          handlers({
            "train-all": (_data, ctx) =>
              new Promise((resolve) => {
                ctx.signal.addEventListener("abort", () => {
                  reasons.push(ctx.signal.reason);
                  resolve({ partial: true });
                });
                started.open();
              }),
          }),
        );
        const { id } = await staying.enqueue("train-all", { runKind: "train-weekly" });
        // RUNNING is recorded before the handler is called: wait for the handler itself.
        await started.wait();
        await statusIs(staying, id, "RUNNING");
        await leaving.close(200);
        expect(reasons).toEqual([ABORT_SHUTDOWN]);
        const back = await statusIs(staying, id, "PENDING");
        expect(back).toMatchObject({ data: { runKind: "train-weekly" }, result: null, error: null });
        const attempts: number[] = [];
        await staying.startWorkers(
          handlers({
            "train-all": async (_data, ctx) => {
              attempts.push(ctx.attempt);
              return { resumed: true };
            },
          }),
        );
        expect(await statusIs(staying, id, "SUCCEEDED")).toMatchObject({ result: { resumed: true } });
        expect(attempts).toEqual([1]);
      });

      it("a schedule registered by two replicas fires once per tick, not twice", async () => {
        const queueName = uniqueName("q");
        const a = await openQueue(queueName);
        const b = await openQueue(queueName);
        const runs: string[] = [];
        const handler = handlers({
          "batch-forecast": async (_data, ctx) => {
            runs.push(ctx.id);
            return null;
          },
        });
        await a.startWorkers(handler);
        await b.startWorkers(handler);
        const schedule = { name: "every-second", kind: "batch-forecast" as const, cron: "* * * * * *", data: {} };
        await Promise.all([a.schedule([schedule]), b.schedule([schedule])]);
        const started = Date.now();
        await sleep(3_500);
        const seconds = Math.ceil((Date.now() - started) / 1000);
        expect(runs.length).toBeGreaterThanOrEqual(2);
        expect(runs.length).toBeLessThanOrEqual(seconds + 1);
        expect(new Set(runs).size).toBe(runs.length);
      });
    });
  });
}
