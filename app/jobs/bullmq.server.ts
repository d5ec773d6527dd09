/**
 * The job queue on BullMQ and Redis (REDIS_URL): every replica enqueues into the same queue,
 * every replica's Worker takes jobs from it, events reach every replica through QueueEvents (a
 * Redis stream), and schedules are BullMQ job schedulers (stored in Redis: they survive restarts
 * and fire once per tick however many replicas register them). See docs/decisions/0006.
 *
 * Status mapping: waiting, delayed (a retry's backoff), prioritized, waiting-children -> PENDING;
 * active -> RUNNING; completed -> SUCCEEDED; failed -> FAILED, or STOPPED when it was cancelled.
 * A cancellation is recorded twice: a Redis key per job (`<prefix>:<queue>:storecast-cancelled:<id>`,
 * kept 30 days) that a worker checks before running the job, and the failure reason of a job
 * stopped while running (UnrecoverableError with CANCELLED_REASON: no retry).
 */
import { randomUUID } from "node:crypto";
import {
  DelayedError,
  type Job,
  type JobState,
  type JobType,
  Queue,
  QueueEvents,
  QueueEventsProducer,
  UnrecoverableError,
  Worker,
} from "bullmq";
import type { Logger } from "pino";
import { bullmqSchedules } from "./bullmq-schedules.server.js";
import type {
  EnqueueOptions,
  JobContext,
  JobDataByKind,
  JobEvent,
  JobHandlers,
  JobInfo,
  JobKind,
  JobProgress,
  JobQueue,
  JobStatus,
  QueueDepth,
  ScheduleStore,
} from "./port.js";
import {
  ABORT_CANCELLED,
  ABORT_SHUTDOWN,
  abortedForShutdown,
  handlersSettle,
  JOB_KINDS,
  JOB_RETENTION_MS,
} from "./port.js";
import { isPermanentFailure, type RetryOverrides, retryPolicy } from "./retries.server.js";
import { memoryScheduleStore } from "./schedule-store.server.js";

export interface BullmqQueueOptions extends RetryOverrides {
  /** redis://[user:password@]host:port[/db] */
  url: string;
  /** The queue's name in Redis (JOB_QUEUE, default storecast): replicas sharing it share the jobs. */
  queueName?: string;
  /** Redis key prefix (BullMQ's default: bull). */
  prefix?: string;
  /** Default for startWorkers() without a concurrency (default 1). */
  concurrency?: number;
  /** Finished jobs kept in Redis per outcome (completed, failed), oldest removed first (default: 7 days, at most 100,000). */
  keepFinished?: number;
  /** After close()'s timeout, how long aborted handlers get to return (default 5 s). */
  abortGraceMs?: number;
  /**
   * Keeps the schedules and their paused flags (the database, shared by the replicas); none: memory
   * only, so a pause is this process's alone.
   */
  scheduleStore?: ScheduleStore;
  log?: Logger;
}

/** The failure reason of a job cancelled while it ran (mapped to STOPPED). */
export const CANCELLED_REASON = ABORT_CANCELLED;
const CANCEL_EVENT = "storecast:cancel";
const STOPPED_EVENT = "storecast:stopped";
const CANCEL_MARK_TTL_S = 30 * 24 * 3600;

const PENDING_STATES: JobState[] = ["waiting", "delayed", "prioritized", "waiting-children"];
const READY_STATES: JobType[] = ["waiting", "prioritized", "waiting-children"];
/** depth() looks for cancellation marks among this many pending jobs per state group (beyond: counted). */
const DEPTH_MARK_SCAN = 1000;
const LIST_TYPES: JobState[] = ["active", ...PENDING_STATES, "completed", "failed"];

function toStatus(state: JobState | "unknown", job: Job, cancelled: boolean): JobStatus | null {
  if (state === "active") return "RUNNING";
  if (state === "completed") return "SUCCEEDED";
  if (state === "failed") return cancelled || job.failedReason === CANCELLED_REASON ? "STOPPED" : "FAILED";
  if (PENDING_STATES.includes(state as JobState)) return cancelled ? "STOPPED" : "PENDING";
  return null;
}

function toProgress(p: unknown): JobProgress | null {
  if (p && typeof p === "object" && "done" in p && "total" in p) {
    const { done, total } = p as JobProgress;
    if (typeof done === "number" && typeof total === "number") return { done, total };
  }
  return null;
}

/** `cancelledAt`: when a cancellation was recorded for the job (ms), or null. */
function toInfo(job: Job, state: JobState | "unknown", cancelledAt: number | null): JobInfo | null {
  const status = toStatus(state, job, cancelledAt !== null);
  if (!status || !job.id || !(JOB_KINDS as readonly string[]).includes(job.name)) return null;
  return {
    id: job.id,
    kind: job.name as JobKind,
    data: job.data as JobDataByKind[JobKind],
    status,
    progress: toProgress(job.progress),
    result: status === "SUCCEEDED" ? (job.returnvalue ?? null) : null,
    error: job.failedReason || (status === "STOPPED" ? CANCELLED_REASON : null),
    attempts: job.attemptsStarted ?? job.attemptsMade,
    createdAt: new Date(job.timestamp),
    startedAt: job.processedOn ? new Date(job.processedOn) : null,
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : cancelledAt !== null ? new Date(cancelledAt) : null,
  };
}

export async function createBullmqQueue(opts: BullmqQueueOptions): Promise<JobQueue> {
  const name = opts.queueName ?? "storecast";
  const prefix = opts.prefix ?? "bull";
  const connection = { url: opts.url };
  // Finished jobs stay 7 days (the reference's clients poll a job's status by id), at most 100,000.
  const keep =
    opts.keepFinished === undefined ? { age: JOB_RETENTION_MS / 1000, count: 100_000 } : { count: opts.keepFinished };
  const log = opts.log;
  const onError = (what: string) => (err: Error) => log?.warn({ err, queue: name }, `job queue: ${what} error`);

  const queue = new Queue(name, { connection, prefix });
  queue.on("error", onError("queue"));
  const producer = new QueueEventsProducer(name, { connection, prefix });
  producer.on("error", onError("events producer"));
  const events = new QueueEvents(name, { connection, prefix });
  events.on("error", onError("events"));
  try {
    await Promise.all([queue.waitUntilReady(), events.waitUntilReady(), producer.waitUntilReady()]);
  } catch (err) {
    await Promise.allSettled([queue.close(), events.close(), producer.close()]);
    throw err;
  }
  log?.debug({ queue: name }, "job queue: connected to Redis");

  let worker: Worker | undefined;
  /** Set when close() starts: a job that reaches this worker from then on is handed back untouched. */
  let workerClosing = false;
  let closing: Promise<void> | undefined;
  const inFlight = new Set<Promise<unknown>>();

  const markKey = (id: string) => `${prefix}:${name}:storecast-cancelled:${id}`;
  const cancelledAt = async (id: string): Promise<number | null> => {
    const mark = await (await queue.backend.client).get(markKey(id));
    return mark === null ? null : Number(mark) || Date.now();
  };

  // Listeners per job id; QueueEvents delivers every replica's events for the queue.
  const listeners = new Map<string, Set<(e: JobEvent) => void>>();
  const lastProgress = new Map<string, JobProgress | null>();
  const push = (id: string, event: Omit<JobEvent, "id" | "progress"> & { progress?: JobProgress | null }) => {
    const set = listeners.get(id);
    if (!set) return;
    const progress = event.progress === undefined ? (lastProgress.get(id) ?? null) : event.progress;
    lastProgress.set(id, progress);
    for (const l of set) l({ ...event, id, progress });
  };
  events.on("waiting", ({ jobId }) => push(jobId, { status: "PENDING", error: null }));
  events.on("delayed", ({ jobId }) => push(jobId, { status: "PENDING", error: null }));
  events.on("active", ({ jobId }) => push(jobId, { status: "RUNNING", error: null }));
  events.on("progress", ({ jobId, data }) =>
    push(jobId, { status: "RUNNING", error: null, progress: toProgress(data) }),
  );
  events.on("completed", ({ jobId, returnvalue }) =>
    push(jobId, { status: "SUCCEEDED", error: null, result: returnvalue ?? null }),
  );
  events.on("failed", ({ jobId, failedReason }) =>
    push(jobId, { status: failedReason === CANCELLED_REASON ? "STOPPED" : "FAILED", error: failedReason }),
  );
  // Custom events (QueueEventsProducer): a cancellation any replica asked for.
  const custom = events as unknown as {
    on(event: string, listener: (args: { jobId: string }) => void): void;
  };
  custom.on(CANCEL_EVENT, ({ jobId }) => {
    worker?.cancelJob(jobId, CANCELLED_REASON);
  });
  custom.on(STOPPED_EVENT, ({ jobId }) => push(jobId, { status: "STOPPED", error: CANCELLED_REASON }));

  const jobOptions = (kind: JobKind) => {
    const policy = retryPolicy(kind, opts);
    return {
      attempts: policy.attempts,
      backoff: { type: policy.backoff.type, delay: policy.backoff.delayMs },
      removeOnComplete: keep,
      removeOnFail: keep,
    };
  };

  const infoOf = async (job: Job, state?: JobState | "unknown"): Promise<JobInfo | null> => {
    if (!job.id) return null;
    const [s, cancelled] = await Promise.all([state ?? job.getState(), cancelledAt(job.id)]);
    return toInfo(job, s, cancelled);
  };

  const schedules = bullmqSchedules(
    queue,
    opts.scheduleStore ?? memoryScheduleStore(),
    jobOptions,
    (...args: Parameters<JobQueue["enqueue"]>) => jobQueue.enqueue(...args),
    log,
  );

  // Fetched while closing: back to the queue now, without counting an attempt.
  const handBackUnstarted = async (job: Job, token?: string): Promise<never> => {
    await job.moveToDelayed(Date.now(), token);
    throw new DelayedError();
  };
  const processJob = async (job: Job, token?: string, signal?: AbortSignal): Promise<unknown> => {
    if (workerClosing) return handBackUnstarted(job, token);
    const kind = job.name as JobKind;
    const skipped = await schedules.pausedTick(job);
    if (skipped) return skipped;
    const handler = handlersRef?.[kind] as ((data: unknown, ctx: JobContext) => Promise<unknown>) | undefined;
    if (!handler) throw new UnrecoverableError(`no handler for job kind ${JSON.stringify(job.name)}`);
    if (!job.id || (await cancelledAt(job.id)) !== null) throw new UnrecoverableError(CANCELLED_REASON);
    // close() may have begun during the awaits above and found nothing in flight: this job must not
    // start behind its back (nothing would abort it). From here to inFlight.add nothing awaits.
    if (workerClosing) return handBackUnstarted(job, token);
    const abort = signal ?? new AbortController().signal;
    const ctx: JobContext = {
      id: job.id,
      attempt: job.attemptsMade + 1,
      signal: abort,
      progress(done, total) {
        job.updateProgress({ done, total }).catch((err: unknown) => log?.debug({ err, jobId: job.id }, "job progress"));
      },
    };
    const running = Promise.resolve().then(() => handler(job.data, ctx));
    inFlight.add(running);
    // Stopped by close() past its timeout: back to the queue now, without counting an attempt, so
    // another replica (or this one after a restart) runs it again; the handler left its work resumable.
    const handBack = async (): Promise<never> => {
      await job.moveToDelayed(Date.now(), token);
      log?.info({ jobId: job.id, kind }, "job queue: job handed back to the queue");
      throw new DelayedError();
    };
    try {
      const result = await running;
      if (abortedForShutdown(abort)) return await handBack();
      if (abort.aborted) throw new UnrecoverableError(CANCELLED_REASON);
      return result ?? null;
    } catch (err) {
      if (err instanceof DelayedError) throw err;
      if (abortedForShutdown(abort)) return await handBack();
      if (abort.aborted) throw new UnrecoverableError(CANCELLED_REASON);
      if (isPermanentFailure(err)) throw new UnrecoverableError((err as Error).message);
      throw err;
    } finally {
      inFlight.delete(running);
    }
  };
  let handlersRef: JobHandlers | undefined;

  const jobQueue: JobQueue = {
    kind: "bullmq",

    async enqueue<K extends JobKind>(kind: K, data: JobDataByKind[K], enqueueOpts: EnqueueOptions = {}) {
      if (closing) throw new Error("the job queue is closed");
      const jobId = randomUUID();
      const job = await queue.add(kind, data, {
        ...jobOptions(kind),
        jobId,
        ...(enqueueOpts.dedupeKey === undefined ? {} : { deduplication: { id: enqueueOpts.dedupeKey } }),
      });
      return { id: job.id ?? jobId, deduplicated: job.id !== undefined && job.id !== jobId };
    },

    async get(id) {
      // The state first: a job read after it is seen finished carries its result.
      const state = await queue.getJobState(id);
      if (state === "unknown") return null;
      const job = await queue.getJob(id);
      return job ? infoOf(job as Job, state) : null;
    },

    async findActive(dedupeKey) {
      const id = await queue.getDeduplicationJobId(dedupeKey);
      const info = id ? await jobQueue.get(id) : null;
      return info && (info.status === "PENDING" || info.status === "RUNNING") ? info : null;
    },

    async list(listOpts = {}) {
      const limit = listOpts.limit ?? 50;
      // Newest first: each state's newest `fetch`, merged by creation time.
      const fetch = listOpts.kind ? Math.max(limit * 4, 200) : limit;
      const batches = await Promise.all(
        LIST_TYPES.map(async (state) => {
          const jobs = (await queue.getJobs([state as JobType], 0, fetch - 1, false)) as Job[];
          return jobs.map((job) => ({ job, state }));
        }),
      );
      const candidates = batches
        .flat()
        .filter(({ job }) => !listOpts.kind || job.name === listOpts.kind)
        .sort((a, b) => b.job.timestamp - a.job.timestamp)
        .slice(0, limit);
      const infos = await Promise.all(candidates.map(({ job, state }) => infoOf(job, state)));
      return infos.filter((i): i is JobInfo => i !== null);
    },

    async ping() {
      if (closing) throw new Error("the job queue is closed");
      // A round trip to Redis (the client has no PING): reading a key that never exists.
      await (await queue.backend.client).get(`${prefix}:${name}:storecast-ping`);
    },

    async depth() {
      const counts = await queue.getJobCounts(...READY_STATES, "delayed", "active");
      // A cancelled PENDING job stays in its list until a worker drops it: leave it out, as get() does.
      const client = await queue.backend.client;
      const cancelledAmong = async (types: JobType[]) => {
        const ids = await queue.getRanges(types, 0, DEPTH_MARK_SCAN - 1);
        const marks = await Promise.all(ids.map((id) => client.get(markKey(id))));
        return marks.filter((m) => m !== null).length;
      };
      const [readyCancelled, delayedCancelled] = await Promise.all([
        cancelledAmong(READY_STATES),
        cancelledAmong(["delayed"]),
      ]);
      const sum = (types: JobType[]) => types.reduce((n, t) => n + (counts[t] ?? 0), 0);
      const depth: QueueDepth = {
        waiting: Math.max(0, sum(READY_STATES) - readyCancelled),
        delayed: Math.max(0, (counts.delayed ?? 0) - delayedCancelled),
        running: counts.active ?? 0,
      };
      return depth;
    },

    async cancel(id) {
      const job = (await queue.getJob(id)) as Job | undefined;
      if (!job) return false;
      const state = await job.getState();
      if (state === "completed" || state === "failed" || state === "unknown") return false;
      if ((await cancelledAt(id)) !== null) return true;
      await (await queue.backend.client).set(markKey(id), String(Date.now()), { EX: CANCEL_MARK_TTL_S });
      if (PENDING_STATES.includes(state)) {
        // It will never run (a worker drops it, see process()); the key may be used again now.
        if (job.deduplicationId) await queue.removeDeduplicationKey(job.deduplicationId);
        await producer.publishEvent({ eventName: STOPPED_EVENT, jobId: id });
      }
      // Whichever replica runs it (or picks it up meanwhile) aborts its handler.
      worker?.cancelJob(id, CANCELLED_REASON);
      await producer.publishEvent({ eventName: CANCEL_EVENT, jobId: id });
      return true;
    },

    subscribe(id, listener) {
      let set = listeners.get(id);
      if (!set) {
        set = new Set();
        listeners.set(id, set);
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) {
          listeners.delete(id);
          lastProgress.delete(id);
        }
      };
    },

    async startWorkers(handlers, workerOpts = {}) {
      if (closing) throw new Error("the job queue is closed");
      handlersRef = handlers;
      if (worker) {
        worker.concurrency = Math.max(1, workerOpts.concurrency ?? worker.concurrency);
        return;
      }
      worker = new Worker(name, processJob, {
        connection,
        prefix,
        concurrency: Math.max(1, workerOpts.concurrency ?? opts.concurrency ?? 1),
      });
      worker.on("error", onError("worker"));
      await worker.waitUntilReady();
    },

    schedule: (list) => schedules.schedule(list),
    listSchedules: () => schedules.listSchedules(),
    pauseSchedule: (name) => schedules.pauseSchedule(name),
    resumeSchedule: (name) => schedules.resumeSchedule(name),
    runSchedule: (name) => schedules.runSchedule(name),

    close(timeoutMs = 10_000) {
      closing ??= (async () => {
        const w = worker;
        if (w) {
          // Take no new jobs; give the running ones `timeoutMs`.
          workerClosing = true;
          await w.pause(true).catch(() => {});
          const settled = (ms: number) => handlersSettle(inFlight, ms);
          if (await settled(timeoutMs)) {
            // Nothing runs a handler any more: this only records the last results.
            await Promise.race([w.close(), new Promise((r) => setTimeout(r, 5_000).unref())]);
          } else {
            // Past the timeout: abort the handlers; as each returns, processJob hands its job back
            // to the queue. A handler that ignores its signal past the grace period is left behind:
            // closing without recording anything lets its lock expire, and BullMQ's stalled-job
            // check hands the job to another worker.
            log?.warn({ jobs: inFlight.size }, "job queue: jobs still running at shutdown; handing them back");
            w.cancelAllJobs(ABORT_SHUTDOWN);
            if (await settled(opts.abortGraceMs ?? 5_000)) {
              await Promise.race([w.close(), new Promise((r) => setTimeout(r, 5_000).unref())]);
            } else {
              await w.close(true);
            }
          }
        }
        await Promise.allSettled([events.close(), producer.close(), queue.close()]);
      })();
      return closing;
    },
  };
  return jobQueue;
}
