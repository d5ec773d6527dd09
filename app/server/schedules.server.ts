/**
 * The schedules as the page and the API show them: the queue's list (definition, paused, next
 * tick) with the cron in words and the outcome of the last job each one started.
 */
import { ApiError } from "../errors.js";
import { describeCron } from "../jobs/cron.js";
import type { JobDataByKind, JobKind, JobQueue, JobStatus, ScheduleInfo } from "../jobs/port.js";
import { hasNul } from "../rossmann.js";
import { notFound } from "./api.server.js";

/** A schedule's name: as long as the store keeps (job_schedules.name). */
export const MAX_SCHEDULE_NAME = 100;

export interface LastRun {
  jobId: string;
  at: Date;
  /** Null once the job's record is gone (kept 7 days). */
  status: JobStatus | null;
  error: string | null;
  finishedAt: Date | null;
}

export interface ScheduleView {
  name: string;
  kind: JobKind;
  cron: string;
  /** The cron in words (UTC), or null when it is not a form described (show the expression). */
  words: string | null;
  data: JobDataByKind[JobKind];
  paused: boolean;
  nextRunAt: Date | null;
  lastRun: LastRun | null;
}

/** One schedule as shown: its last job's outcome looked up. */
export async function scheduleView(jobs: JobQueue, s: ScheduleInfo): Promise<ScheduleView> {
  const job = s.lastJobId ? await jobs.get(s.lastJobId).catch(() => null) : null;
  const lastRun: LastRun | null =
    s.lastJobId && s.lastRunAt
      ? {
          jobId: s.lastJobId,
          at: s.lastRunAt,
          status: job?.status ?? null,
          error: job?.error ?? null,
          finishedAt: job?.finishedAt ?? null,
        }
      : null;
  return {
    name: s.name,
    kind: s.kind,
    cron: s.cron,
    words: describeCron(s.cron),
    data: s.data,
    paused: s.paused,
    nextRunAt: s.nextRunAt,
    lastRun,
  };
}

export async function scheduleViews(jobs: JobQueue): Promise<ScheduleView[]> {
  return Promise.all((await jobs.listSchedules()).map((s) => scheduleView(jobs, s)));
}

/** A schedule as the API answers it (the contract's `Schedule`). */
export function scheduleJson(v: ScheduleView) {
  const self = `/api/schedules/${encodeURIComponent(v.name)}`;
  return {
    name: v.name,
    kind: v.kind,
    cron: v.cron,
    description: v.words,
    data: v.data as Record<string, unknown>,
    paused: v.paused,
    nextRunAt: v.nextRunAt,
    lastRun: v.lastRun,
    links: { pause: `${self}/pause`, resume: `${self}/resume`, run: `${self}/run` },
  };
}

/** A schedule name from a path: 400 naming `name` when it cannot be one. */
export function parseScheduleName(value: string | undefined): string {
  if (!value || value.length > MAX_SCHEDULE_NAME || hasNul(value)) {
    throw new ApiError(400, `name must be a schedule's name (1 to ${MAX_SCHEDULE_NAME} characters)`, {
      field: "name",
    });
  }
  return value;
}

export const unknownSchedule = (name: string): ApiError =>
  notFound("schedule", `unknown schedule ${JSON.stringify(name)}: GET /api/schedules lists them`, {
    field: "name",
    schedule: name,
  });
