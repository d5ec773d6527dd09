/**
 * Schedules on BullMQ: each is a job scheduler in Redis, firing once per tick however many replicas
 * register it; whether it is paused is kept in the ScheduleStore (the database), which decides
 * (docs/decisions/0036). Pausing removes the job scheduler, resuming re-adds it; a start never
 * re-adds a paused one.
 */
import type { Job, JobsOptions, Queue } from "bullmq";
import type { Logger } from "pino";
import { nextCronTick } from "./cron.js";
import type { JobKind, JobQueue, Schedule, ScheduleInfo, ScheduleStore, StoredSchedule } from "./port.js";
import { runStoredSchedule } from "./schedule-store.server.js";

/** What a scheduled job that fires while its schedule is paused returns instead of running. */
export const SKIPPED_PAUSED = { skipped: "the schedule is paused" } as const;

type ScheduleMethods = Pick<
  JobQueue,
  "schedule" | "listSchedules" | "pauseSchedule" | "resumeSchedule" | "runSchedule"
>;

export interface BullmqSchedules extends ScheduleMethods {
  /**
   * Called before a job runs: a tick of a paused schedule gives SKIPPED_PAUSED (a replica's
   * registration racing a pause may have re-added its scheduler); other jobs give null.
   */
  pausedTick(job: Job): Promise<typeof SKIPPED_PAUSED | null>;
}

export function bullmqSchedules(
  queue: Queue,
  store: ScheduleStore,
  jobOptions: (kind: JobKind) => JobsOptions,
  enqueue: JobQueue["enqueue"],
  log?: Logger,
): BullmqSchedules {
  const addScheduler = (s: Schedule) =>
    queue.upsertJobScheduler(
      s.name,
      { pattern: s.cron, tz: "UTC" },
      { name: s.kind, data: s.data, opts: jobOptions(s.kind) },
    );
  /** A stored schedule: paused, its job scheduler is removed from Redis; else (re-)added. */
  const apply = async (s: StoredSchedule) => {
    if (s.paused) await queue.removeJobScheduler(s.name);
    else await addScheduler(s);
  };
  const info = (s: StoredSchedule, next: number | undefined): ScheduleInfo => ({
    ...s,
    nextRunAt: s.paused ? null : next ? new Date(next) : null,
  });
  const setPaused = async (name: string, paused: boolean): Promise<ScheduleInfo | null> => {
    const stored = await store.setPaused(name, paused);
    if (!stored) return null;
    await apply(stored);
    const scheduler = paused ? undefined : await queue.getJobScheduler(name);
    return info(stored, scheduler?.next);
  };

  return {
    async schedule(list) {
      for (const s of list) nextCronTick(s.cron); // throws on a malformed expression, before anything changes
      // A paused schedule is stored, not added back: its pause outlives restarts and replicas' starts.
      for (const s of await store.register(list)) await apply(s);
    },

    async listSchedules() {
      const [stored, schedulers] = await Promise.all([store.list(), queue.getJobSchedulers(0, -1)]);
      const next = new Map(schedulers.map((j) => [j.id ?? j.key, j.next]));
      return stored.map((s) => info(s, next.get(s.name)));
    },

    pauseSchedule: (name) => setPaused(name, true),
    resumeSchedule: (name) => setPaused(name, false),

    async runSchedule(name) {
      const s = await store.get(name);
      return s ? runStoredSchedule(store, s, enqueue) : null;
    },

    async pausedTick(job) {
      if (!job.repeatJobKey) return null;
      const name = job.repeatJobKey;
      // The database unreachable: the tick runs (a pause already removed the scheduler itself).
      const stored = await store.get(name).catch((err: unknown) => {
        log?.warn({ err, schedule: name }, "job queue: could not read the schedule's paused flag");
        return null;
      });
      if (stored?.paused) return SKIPPED_PAUSED;
      if (stored && job.id) {
        await store
          .started(name, job.id, new Date(job.timestamp))
          .catch((err: unknown) =>
            log?.warn({ err, schedule: name }, "job queue: could not record the schedule's run"),
          );
      }
      return null;
    },
  };
}
