/**
 * Job metrics in one place for both queue adapters: the handlers are wrapped before a queue runs
 * them, so every attempt this process runs is counted by kind and outcome and timed
 * (storecast_jobs_total, storecast_job_duration_seconds, storecast_jobs_running).
 */

import { JOB_KINDS, type JobContext, type JobHandler, type JobHandlers, type JobKind } from "../jobs/port.js";
import { jobMetrics } from "../platform/metrics.server.js";

/** How an attempt ended: a handler that returns or throws after its signal was aborted was STOPPED. */
export type AttemptOutcome = "SUCCEEDED" | "FAILED" | "STOPPED";

export function instrumentJobHandlers(handlers: JobHandlers): JobHandlers {
  // Every kind and outcome is exported from the start (as 0), so rate() and increase() work at once.
  for (const kind of JOB_KINDS) {
    for (const status of ["SUCCEEDED", "FAILED", "STOPPED"] as const) jobMetrics.runs.inc({ kind, status }, 0);
    jobMetrics.running.set({ kind }, 0);
  }
  const wrap = <K extends JobKind>(kind: K, handler: JobHandler<K>): JobHandler<K> => {
    return async (data, ctx: JobContext) => {
      const end = jobMetrics.seconds.startTimer({ kind });
      jobMetrics.running.inc({ kind });
      let outcome: AttemptOutcome = "FAILED";
      try {
        const result = await handler(data, ctx);
        outcome = ctx.signal.aborted ? "STOPPED" : "SUCCEEDED";
        return result;
      } catch (err) {
        outcome = ctx.signal.aborted ? "STOPPED" : "FAILED";
        throw err;
      } finally {
        jobMetrics.running.dec({ kind });
        jobMetrics.runs.inc({ kind, status: outcome });
        end({ status: outcome });
      }
    };
  };
  return {
    "train-one": wrap("train-one", handlers["train-one"]),
    "train-all": wrap("train-all", handlers["train-all"]),
    "train-chunk": wrap("train-chunk", handlers["train-chunk"]),
    "batch-forecast": wrap("batch-forecast", handlers["batch-forecast"]),
    "ingest-daily": wrap("ingest-daily", handlers["ingest-daily"]),
    retention: wrap("retention", handlers.retention),
    "drift-check": wrap("drift-check", handlers["drift-check"]),
    "anomaly-scan": wrap("anomaly-scan", handlers["anomaly-scan"]),
  };
}
