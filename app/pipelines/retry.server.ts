/** Re-running a failed or stopped pipeline run as a new job of the matching kind. */
import { NotFoundError, ValidationError } from "../errors.js";
import { enqueueOnce } from "../jobs/dedupe.js";
import type { JobDataByKind, JobKind, JobQueue } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";
import { getRun } from "./runs.server.js";

/**
 * Runs a FAILED or STOPPED pipeline run again as a new job of the matching kind: train-all and
 * train-weekly -> train-all (same run kind), retrain -> train-one (same series), batch-forecast,
 * ingest-daily (same day), retention. Returns the job (an identical job already waiting or running is
 * returned instead, `deduplicated: true`).
 */
export async function retryPipelineRun(
  db: Database,
  jobs: JobQueue,
  runId: number,
): Promise<{ id: string; deduplicated: boolean }> {
  const run = await getRun(db, runId);
  if (!run) throw new NotFoundError("pipeline-run", `unknown pipeline run ${runId}`);
  if (run.status !== "FAILED" && run.status !== "STOPPED") {
    throw new ValidationError(
      "run",
      `pipeline run ${runId} is ${run.status}: only a failed or stopped run can be retried`,
    );
  }
  const params = (run.params ?? {}) as Record<string, unknown>;
  const enqueue = <K extends JobKind>(kind: K, data: JobDataByKind[K]) => enqueueOnce(jobs, kind, data);
  switch (run.kind) {
    case "train-all":
    case "train-weekly":
      return enqueue("train-all", { runKind: run.kind });
    case "retrain": {
      const { store, productname } = params;
      if (typeof store !== "number" || typeof productname !== "string") {
        throw new ValidationError("run", `pipeline run ${runId} does not name the series it retrained`);
      }
      return enqueue("train-one", { store, productname });
    }
    case "batch-forecast":
      return enqueue("batch-forecast", {});
    case "ingest-daily":
      return enqueue("ingest-daily", typeof params.day === "string" ? { day: params.day } : {});
    case "retention":
      return enqueue("retention", {});
    default:
      throw new ValidationError("run", `pipeline run ${runId} is a ${run.kind} run, which cannot be retried as a job`);
  }
}
