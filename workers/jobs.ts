import type { JobHandlers, JobQueue, Schedule } from "../app/jobs/port.js";
import type { Config } from "../app/platform/config.server.js";
import type { BackgroundService, WorkerContext } from "./index.js";

/**
 * The schedules storecast registers: the weekly train-all (recorded as a `train-weekly` run), the
 * daily ingestion check of the day that just ended, the daily retention run, the daily drift check
 * and the daily anomaly scan of the day that just ended. Re-registering replaces them by name.
 */
export function defaultSchedules(
  config: Pick<Config, "TRAIN_CRON" | "INGEST_CRON" | "RETENTION_CRON" | "DRIFT_CRON" | "ANOMALY_CRON">,
): Schedule[] {
  return [
    { name: "train-weekly", kind: "train-all", cron: config.TRAIN_CRON, data: { runKind: "train-weekly" } },
    { name: "ingest-daily", kind: "ingest-daily", cron: config.INGEST_CRON, data: { daysAgo: 1 } },
    { name: "retention", kind: "retention", cron: config.RETENTION_CRON, data: {} },
    { name: "drift-check", kind: "drift-check", cron: config.DRIFT_CRON, data: {} },
    { name: "anomaly-scan", kind: "anomaly-scan", cron: config.ANOMALY_CRON, data: { daysAgo: 1 } },
  ];
}

/**
 * The job workers: take jobs from the queue (JOB_CONCURRENCY at a time in this process) and
 * register the schedules (unless SCHEDULES=false). Stopping closes the queue: running jobs get
 * SHUTDOWN_TIMEOUT_MS to finish; with BullMQ, what is still running then is handed back to
 * another replica.
 */
export function jobWorkers(ctx: WorkerContext, jobs: JobQueue, handlers: JobHandlers): BackgroundService {
  return {
    name: "jobs",
    async start() {
      const { config, log } = ctx;
      await jobs.startWorkers(handlers, { concurrency: config.JOB_CONCURRENCY });
      const schedules = config.SCHEDULES ? defaultSchedules(config) : [];
      if (schedules.length > 0) await jobs.schedule(schedules);
      log.info(
        {
          queue: jobs.kind,
          concurrency: config.JOB_CONCURRENCY,
          schedules: schedules.map((s) => `${s.name} (${s.cron} UTC)`),
        },
        "jobs: workers running",
      );
    },
    async stop() {
      await jobs.close(ctx.config.SHUTDOWN_TIMEOUT_MS);
    },
  };
}
