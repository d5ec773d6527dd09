/**
 * Jobs over HTTP, shared by the native and the reference-compatible routes: the queue from the load
 * context, a job as JSON, and the 202 answer of anything that enqueues one.
 */
import type { AppLoadContext } from "@remix-run/node";
import { ApiError } from "../errors.js";
import type { JobInfo, JobQueue } from "../jobs/port.js";
import { notFound } from "./api.server.js";

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

export const FINAL_STATUSES = new Set(["SUCCEEDED", "FAILED", "STOPPED"]);

/** A job as the API shows it. */
export function jobJson(job: JobInfo) {
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
export async function acceptedJob(jobs: JobQueue, enqueued: { id: string; deduplicated: boolean }): Promise<Response> {
  const job = await jobs.get(enqueued.id);
  const self = `/api/jobs/${encodeURIComponent(enqueued.id)}`;
  return Response.json(
    {
      job_id: enqueued.id,
      status: job?.status ?? "PENDING",
      deduplicated: enqueued.deduplicated,
      links: { self, events: `${self}/events` },
    },
    { status: 202, headers: { Location: self } },
  );
}
