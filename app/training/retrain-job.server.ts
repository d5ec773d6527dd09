/** The retrain job of one series to show on its page: the one the address names, or one queued or running. */
import { dedupeKeyOf } from "../jobs/dedupe.js";
import type { JobInfo, JobQueue, JobStatus } from "../jobs/port.js";
import type { SeriesKey } from "../series.js";

export interface RetrainJob {
  id: string;
  status: JobStatus;
  progress: { done: number; total: number } | null;
  error: string | null;
  /** The version a finished job registered. */
  version: number | null;
}

function retrainJobOf(job: JobInfo, key: SeriesKey): RetrainJob | null {
  const data = job.data as { store?: unknown; productname?: unknown };
  if (job.kind !== "train-one" || data.store !== key.store || data.productname !== key.productname) return null;
  const result = job.result as { modelVersion?: unknown } | null;
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    error: job.error,
    version: typeof result?.modelVersion === "number" ? result.modelVersion : null,
  };
}

/**
 * The series' retrain job to show: the one named in the page's address (after a Retrain, also once
 * finished), else the one queued or running for the series, wherever it was started.
 */
export async function retrainJob(jobs: JobQueue, key: SeriesKey, jobId: string | null): Promise<RetrainJob | null> {
  if (jobId && jobId.length <= 200) {
    const job = await jobs.get(jobId);
    const mine = job ? retrainJobOf(job, key) : null;
    if (mine) return mine;
  }
  const active = await jobs.findActive(dedupeKeyOf("train-one", key));
  return active ? retrainJobOf(active, key) : null;
}
