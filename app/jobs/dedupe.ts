/** The dedupe keys of jobs: a second request for the same work joins the job already queued or running. */
import type { JobDataByKind, JobKind } from "./port.js";

/** The dedupe key of a job, so one series (or the whole chain) is never trained twice at once. */
export function dedupeKeyOf<K extends JobKind>(kind: K, data: JobDataByKind[K]): string {
  if (kind === "train-one") {
    const { store, productname } = data as JobDataByKind["train-one"];
    return `train-one:${store}:${productname}`;
  }
  if (kind === "ingest-daily") return `ingest-daily:${(data as JobDataByKind["ingest-daily"]).day ?? "today"}`;
  return kind;
}
