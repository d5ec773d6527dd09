/**
 * Jobs over HTTP, shared by the native and the reference-compatible routes: the queue from the load
 * context, a job as JSON (and its schema), and `submitJob`, the one way a route enqueues a job and
 * answers (202 with the job, unless the route shapes its own answer).
 */
import type { AppLoadContext } from "@remix-run/node";
import { z } from "zod";
import { ApiError } from "../errors.js";
import { enqueueOnce } from "../jobs/dedupe.js";
import {
  JOB_KINDS,
  JOB_STATUSES,
  type JobDataByKind,
  type JobInfo,
  type JobKind,
  type JobQueue,
} from "../jobs/port.js";
import { notFound } from "./api.server.js";
import { respond, timestamp } from "./api-contract.server.js";

/** The job queue from the load context (503 while it is not wired). */
export function jobQueue(context: AppLoadContext): JobQueue {
  const jobs = (context as AppLoadContext & { jobs?: JobQueue }).jobs;
  if (!jobs) throw new ApiError(503, "the job queue is not available in this process", { service: "jobs" });
  return jobs;
}

export async function getJobOr404(jobs: JobQueue, id: string): Promise<JobInfo> {
  const job = id.length <= 200 ? await jobs.get(id) : null;
  if (!job) throw notFound("job", `unknown job ${id}`, { job: id });
  return job;
}

export const jobLinks = z.strictObject({
  self: z.string().describe("/api/jobs/{id}"),
  events: z.string().describe("/api/jobs/{id}/events"),
});

export const jobProgress = z.strictObject({ done: z.int().nonnegative(), total: z.int().nonnegative() });

/** A job as the API shows it. */
export const jobSchema = z
  .strictObject({
    id: z.string(),
    kind: z.enum(JOB_KINDS),
    data: z.record(z.string(), z.unknown()).describe("what the job was asked to do: its kind's parameters"),
    status: z.enum(JOB_STATUSES),
    progress: jobProgress.nullable(),
    result: z.unknown().describe("what the job returned, once SUCCEEDED; null before"),
    error: z.string().nullable(),
    attempts: z.int().nonnegative(),
    createdAt: timestamp,
    startedAt: timestamp.nullable(),
    finishedAt: timestamp.nullable(),
    links: jobLinks,
  })
  .meta({ id: "Job" });

export function jobJson(job: JobInfo): z.input<typeof jobSchema> {
  return {
    id: job.id,
    kind: job.kind,
    data: job.data,
    status: job.status,
    progress: job.progress,
    result: job.result ?? null,
    error: job.error,
    attempts: job.attempts,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    links: {
      self: `/api/jobs/${encodeURIComponent(job.id)}`,
      events: `/api/jobs/${encodeURIComponent(job.id)}/events`,
    },
  };
}

/** The 202 answer to anything that enqueues a job. */
export const jobAccepted = z
  .strictObject({
    job_id: z.string(),
    status: z.enum(JOB_STATUSES),
    deduplicated: z.boolean().describe("true when the same job was already pending or running: its id comes back"),
    links: jobLinks,
  })
  .meta({ id: "JobAccepted" });

export const ACCEPTED_HEADERS = { Location: "/api/jobs/{job_id}" } as const;

/** The 202 answer of a route that enqueues a job, as its contract declares it. */
export const JOB_ACCEPTED = {
  description: "accepted: the job is queued (or the same job, already pending or running, when deduplicated)",
  body: jobAccepted,
  headers: ACCEPTED_HEADERS,
};

export interface EnqueuedJob {
  id: string;
  deduplicated: boolean;
}

/** What to enqueue: a kind and its data (deduplicated by its dedupe key), or a function that enqueues. */
export type JobOrder =
  | { [K in JobKind]: { kind: K; data: JobDataByKind[K] } }[JobKind]
  | ((jobs: JobQueue) => Promise<EnqueuedJob>);

/** 202 with the job's id, status and links, and a Location header. */
async function acceptedJob(enqueued: EnqueuedJob, jobs: JobQueue): Promise<Response> {
  const job = await jobs.get(enqueued.id);
  const self = `/api/jobs/${encodeURIComponent(enqueued.id)}`;
  return respond(
    jobAccepted,
    {
      job_id: enqueued.id,
      status: job?.status ?? "PENDING",
      deduplicated: enqueued.deduplicated,
      links: { self, events: `${self}/events` },
    },
    { status: 202, headers: { Location: self } },
  );
}

/**
 * Enqueues `order` and answers: by default 202 with the job (`jobAccepted`, Location header); a
 * route that answers in its own shape (the reference routes' 200 `SUBMITTED`) passes `answer`.
 */
export async function submitJob(
  jobs: JobQueue,
  order: JobOrder,
  answer: (job: EnqueuedJob, jobs: JobQueue) => Response | Promise<Response> = acceptedJob,
): Promise<Response> {
  const enqueued = typeof order === "function" ? await order(jobs) : await enqueueOnce(jobs, order.kind, order.data);
  return answer(enqueued, jobs);
}
