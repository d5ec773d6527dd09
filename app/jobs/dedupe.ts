/** The dedupe keys of jobs: a second request for the same work joins the job already queued or running. */
import type { JobDataByKind, JobKind, JobQueue } from "./port.js";

/** The dedupe key of a job, so one series (or the whole chain) is never trained twice at once. */
export function dedupeKeyOf<K extends JobKind>(kind: K, data: JobDataByKind[K]): string {
  if (kind === "train-one") {
    const { store, productname } = data as JobDataByKind["train-one"];
    return `train-one:${store}:${productname}`;
  }
  if (kind === "ingest-daily") {
    const { day, daysAgo } = data as JobDataByKind["ingest-daily"];
    // A schedule's `daysAgo` names a day relative to the run: a different key from an explicit day's.
    return `ingest-daily:${day ?? (daysAgo ? `${daysAgo}-days-ago` : "today")}`;
  }
  return kind;
}

/**
 * Enqueues a job under its dedupe key: the same work already queued or running is returned instead
 * (`deduplicated: true`). Every request that starts work (API, pages, retries) goes through here.
 */
export function enqueueOnce<K extends JobKind>(
  jobs: Pick<JobQueue, "enqueue">,
  kind: K,
  data: JobDataByKind[K],
): Promise<{ id: string; deduplicated: boolean }> {
  return jobs.enqueue(kind, data, { dedupeKey: dedupeKeyOf(kind, data) });
}
