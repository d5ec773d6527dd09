/**
 * The in-process job queue (embedded mode, no REDIS_URL): the JobQueue contract in memory.
 * Jobs run in this process with `concurrency` at a time, retry with the JOB_RETRIES backoff on
 * timers, cancel through AbortController, and schedules fire from cron-parser's next UTC tick.
 * What it gives up against BullMQ: jobs and schedules run only as long as the process (a job
 * running at shutdown is stopped, not handed to another replica), and there is one replica by
 * definition. With a `store` (the database), every status change is saved, so a job's status
 * outlives the process and the jobs kept in memory (the retention job deletes records past
 * JOB_RETENTION_MS).
 */
import { randomUUID } from "node:crypto";
import { EventEmitter } from "node:events";
import { nextCronTick } from "./cron.js";
import type {
  EnqueueOptions,
  JobContext,
  JobDataByKind,
  JobEvent,
  JobHandlers,
  JobInfo,
  JobKind,
  JobQueue,
  JobStore,
  QueueDepth,
  Schedule,
  ScheduleInfo,
  ScheduleStore,
  StoredSchedule,
} from "./port.js";
import { ABORT_CANCELLED, ABORT_SHUTDOWN, abortedForShutdown, handlersSettle, INTERRUPTED } from "./port.js";
import { isPermanentFailure, type RetryOverrides, retryDelay, retryPolicy } from "./retries.server.js";
import { memoryScheduleStore, runStoredSchedule } from "./schedule-store.server.js";

export interface InProcessQueueOptions extends RetryOverrides {
  /** Default for startWorkers() without a concurrency (default 1). */
  concurrency?: number;
  /** Finished jobs kept for get()/list(), oldest forgotten first (default 1,000). */
  keepFinished?: number;
  /** After close()'s timeout, how long aborted handlers get to return (default 5 s). */
  abortGraceMs?: number;
  /** Called when a scheduled tick cannot enqueue, or the store cannot save (never throws into a timer). */
  onError?: (err: unknown, what: string) => void;
  /** Keeps every job's status beyond memory and process (the database); none: memory only. */
  store?: JobStore;
  /** Keeps the schedules and their paused flags (the database); none: memory only. */
  scheduleStore?: ScheduleStore;
}

interface Entry {
  info: JobInfo;
  dedupeKey?: string;
  controller?: AbortController;
  retryTimer?: NodeJS.Timeout;
  cancelled: boolean;
  /** Settles when the current attempt's handler returns (for close). */
  running?: Promise<void>;
}

/** setTimeout's limit: longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export { nextCronTick };

const jsonValue = (v: unknown): unknown => (v === undefined ? null : JSON.parse(JSON.stringify(v)));
const snapshot = (info: JobInfo): JobInfo => ({ ...info, progress: info.progress && { ...info.progress } });

export function createInProcessQueue(opts: InProcessQueueOptions = {}): JobQueue {
  const jobs = new Map<string, Entry>();
  const ready: string[] = [];
  const dedupe = new Map<string, string>();
  const events = new EventEmitter();
  events.setMaxListeners(0);
  const schedules = new Map<string, NodeJS.Timeout>();
  const scheduleStore = opts.scheduleStore ?? memoryScheduleStore();
  /** The schedules this process registered (only these tick here). */
  const registered = new Set<string>();
  const keepFinished = opts.keepFinished ?? 1000;
  const finishedOrder: string[] = [];
  let handlers: JobHandlers | undefined;
  let concurrency = opts.concurrency ?? 1;
  let active = 0;
  let closing: Promise<void> | undefined;
  const store = opts.store;
  // Saves in order, one at a time: a job's records never overtake each other.
  let saving: Promise<void> = Promise.resolve();
  const persist = (info: JobInfo) => {
    if (!store) return;
    const record = snapshot(info);
    saving = saving
      .then(() => store.save(record))
      .catch((err: unknown) => opts.onError?.(err, `saving job ${record.id}`));
  };

  const emit = (entry: Entry) => {
    const { id, status, progress, error, result } = entry.info;
    const event: JobEvent = { id, status, progress: progress && { ...progress }, error };
    if (status === "SUCCEEDED") event.result = result;
    events.emit(id, event);
  };
  /** A status change: emitted and saved (progress alone is only emitted). */
  const changed = (entry: Entry) => {
    emit(entry);
    persist(entry.info);
  };

  const finish = (entry: Entry, status: "SUCCEEDED" | "FAILED" | "STOPPED") => {
    entry.info.status = status;
    entry.info.finishedAt = new Date();
    entry.controller = undefined;
    if (entry.dedupeKey && dedupe.get(entry.dedupeKey) === entry.info.id) dedupe.delete(entry.dedupeKey);
    finishedOrder.push(entry.info.id);
    while (finishedOrder.length > keepFinished) jobs.delete(finishedOrder.shift()!);
    changed(entry);
  };

  const pump = () => {
    while (!closing && handlers && active < concurrency && ready.length > 0) {
      const entry = jobs.get(ready.shift()!);
      if (entry?.info.status === "PENDING" && !entry.cancelled) run(entry, handlers);
    }
  };

  const run = (entry: Entry, hs: JobHandlers) => {
    const info = entry.info;
    const controller = new AbortController();
    entry.controller = controller;
    info.status = "RUNNING";
    info.attempts++;
    info.startedAt ??= new Date();
    active++;
    changed(entry);
    const ctx: JobContext = {
      id: info.id,
      attempt: info.attempts,
      signal: controller.signal,
      progress(done, total) {
        if (info.status !== "RUNNING" || entry.controller !== controller) return;
        info.progress = { done, total };
        emit(entry);
      },
    };
    const handler = hs[info.kind] as (data: unknown, ctx: JobContext) => Promise<unknown>;
    // Stopped by a cancel, or by the shutdown (then marked, so its work can be resumed).
    const stopped = () => {
      if (abortedForShutdown(controller.signal)) info.error = INTERRUPTED;
      finish(entry, "STOPPED");
    };
    entry.running = Promise.resolve()
      .then(() => handler(info.data, ctx))
      .then(
        (result) => {
          if (controller.signal.aborted) return stopped();
          info.result = jsonValue(result);
          info.error = null;
          finish(entry, "SUCCEEDED");
        },
        (err: unknown) => {
          info.error = err instanceof Error ? err.message : String(err);
          if (controller.signal.aborted) return stopped();
          const policy = retryPolicy(info.kind, opts);
          if (info.attempts >= policy.attempts || closing || isPermanentFailure(err)) return finish(entry, "FAILED");
          info.status = "PENDING";
          entry.controller = undefined;
          changed(entry);
          entry.retryTimer = setTimeout(
            () => {
              entry.retryTimer = undefined;
              ready.push(info.id);
              pump();
            },
            retryDelay(policy, info.attempts),
          );
          entry.retryTimer.unref();
        },
      )
      .finally(() => {
        active--;
        entry.running = undefined;
        pump();
      });
  };

  // `after`: the tick that just fired. The next one is counted from it, not from the clock: a timer
  // may fire a hair before its tick by the wall clock, and counting from "now" would then give the
  // same tick again (two runs a few milliseconds apart).
  const arm = (s: Schedule, after?: Date) => {
    const now = new Date();
    const tick = nextCronTick(s.cron, after && after > now ? after : now);
    const wait = tick.getTime() - now.getTime();
    const timer = setTimeout(
      () => {
        if (schedules.get(s.name) !== timer || closing) return;
        if (wait > MAX_TIMER_MS) return arm(s, after); // a long wait, re-armed: not the tick yet
        fire(s).catch((err: unknown) => opts.onError?.(err, `schedule ${s.name}`));
        arm(s, tick);
      },
      Math.min(Math.max(wait, 0), MAX_TIMER_MS),
    );
    timer.unref();
    schedules.set(s.name, timer);
  };

  // The stored flag is read at each tick: a pause made anywhere (another process of this database
  // included) is honoured from the next tick on.
  const fire = async (s: Schedule) => {
    if ((await scheduleStore.get(s.name))?.paused) return;
    const { id } = await queue.enqueue(s.kind, s.data as never);
    await scheduleStore.started(s.name, id, new Date());
  };

  const infoOf = (s: StoredSchedule): ScheduleInfo => ({ ...s, nextRunAt: s.paused ? null : nextCronTick(s.cron) });
  const setPaused = async (name: string, paused: boolean) => {
    if (!registered.has(name)) return null;
    const stored = await scheduleStore.setPaused(name, paused);
    return stored && infoOf(stored);
  };

  const queue: JobQueue = {
    kind: "in-process",

    async enqueue<K extends JobKind>(kind: K, data: JobDataByKind[K], enqueueOpts: EnqueueOptions = {}) {
      if (closing) throw new Error("the job queue is closed");
      const key = enqueueOpts.dedupeKey;
      const existing = key === undefined ? undefined : dedupe.get(key);
      if (existing && jobs.get(existing)) return { id: existing, deduplicated: true };
      const id = randomUUID();
      const info: JobInfo = {
        id,
        kind,
        data: jsonValue(data) as JobDataByKind[K],
        status: "PENDING",
        progress: null,
        result: null,
        error: null,
        attempts: 0,
        createdAt: new Date(),
        startedAt: null,
        finishedAt: null,
      };
      jobs.set(id, { info, dedupeKey: key, cancelled: false });
      persist(info);
      if (key !== undefined) dedupe.set(key, id);
      ready.push(id);
      queueMicrotask(pump);
      return { id, deduplicated: false };
    },

    async get(id) {
      const entry = jobs.get(id);
      if (entry) return snapshot(entry.info);
      return store ? store.load(id) : null;
    },

    async findActive(dedupeKey) {
      const id = dedupe.get(dedupeKey);
      const entry = id === undefined ? undefined : jobs.get(id);
      const active = entry && (entry.info.status === "PENDING" || entry.info.status === "RUNNING");
      return active ? snapshot(entry.info) : null;
    },

    async list(listOpts = {}) {
      const out: JobInfo[] = [];
      const limit = listOpts.limit ?? 50;
      for (const entry of [...jobs.values()].reverse()) {
        if (out.length >= limit) break;
        if (listOpts.kind === undefined || entry.info.kind === listOpts.kind) out.push(snapshot(entry.info));
      }
      if (store) {
        // Older jobs, and an earlier process's: the store's records of jobs not in memory.
        const inMemory = new Set(out.map((j) => j.id));
        await saving;
        for (const job of await store.list({ kind: listOpts.kind, limit })) {
          if (!inMemory.has(job.id) && !jobs.has(job.id)) out.push(job);
        }
      }
      return out.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
    },

    async ping() {
      if (closing) throw new Error("the job queue is closed");
    },

    async depth() {
      const depth: QueueDepth = { waiting: 0, delayed: 0, running: 0 };
      for (const entry of jobs.values()) {
        if (entry.info.status === "RUNNING") depth.running++;
        else if (entry.info.status === "PENDING" && !entry.cancelled) {
          if (entry.retryTimer) depth.delayed++;
          else depth.waiting++;
        }
      }
      return depth;
    },

    async cancel(id) {
      const entry = jobs.get(id);
      if (!entry) return false;
      if (entry.info.status === "PENDING") {
        entry.cancelled = true;
        if (entry.retryTimer) clearTimeout(entry.retryTimer);
        entry.retryTimer = undefined;
        const at = ready.indexOf(id);
        if (at >= 0) ready.splice(at, 1);
        finish(entry, "STOPPED");
        return true;
      }
      if (entry.info.status === "RUNNING") {
        entry.cancelled = true;
        entry.controller?.abort(ABORT_CANCELLED);
        return true;
      }
      return false;
    },

    subscribe(id, listener) {
      events.on(id, listener);
      return () => events.off(id, listener);
    },

    async startWorkers(hs, workerOpts = {}) {
      handlers = hs;
      concurrency = Math.max(1, workerOpts.concurrency ?? concurrency);
      pump();
    },

    async schedule(list) {
      for (const s of list) nextCronTick(s.cron); // throws on a malformed expression, before anything changes
      await scheduleStore.register(list);
      for (const s of list) {
        registered.add(s.name);
        const old = schedules.get(s.name);
        if (old) clearTimeout(old);
        arm(s);
      }
    },

    async listSchedules() {
      const stored = await scheduleStore.list();
      return stored.filter((s) => registered.has(s.name)).map(infoOf);
    },

    pauseSchedule: (name) => setPaused(name, true),
    resumeSchedule: (name) => setPaused(name, false),

    async runSchedule(name) {
      const s = registered.has(name) ? await scheduleStore.get(name) : null;
      return s ? runStoredSchedule(scheduleStore, s, queue.enqueue.bind(queue)) : null;
    },

    close(timeoutMs = 10_000) {
      closing ??= (async () => {
        for (const timer of schedules.values()) clearTimeout(timer);
        schedules.clear();
        for (const entry of jobs.values()) {
          if (entry.retryTimer) clearTimeout(entry.retryTimer);
        }
        const inFlight = () => [...jobs.values()].flatMap((e) => (e.running ? [e.running] : []));
        const settled = (ms: number) => handlersSettle(inFlight(), ms);
        if (await settled(timeoutMs)) return;
        // Past the timeout: nothing can take the jobs over in-process, so they are stopped.
        for (const entry of jobs.values()) entry.controller?.abort(ABORT_SHUTDOWN);
        await settled(opts.abortGraceMs ?? 5_000);
      })().finally(() => saving);
      return closing;
    },
  };
  return queue;
}
