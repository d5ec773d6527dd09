/**
 * What each job kind does, composed from the domains' handlers (training, forecasting, sales, retention, monitoring) and
 * counted and timed per attempt at this edge (job-metrics.server.ts); the queue adapters only run them.
 */
import type { Logger } from "pino";
import { forecastingJobHandlers } from "../forecasting/jobs.server.js";
import type { JobHandlers, JobQueue } from "../jobs/port.js";
import type { ModelPool } from "../model/pool.server.js";
import { type AnomalySetting, anomalyJobHandlers } from "../monitoring/anomaly-jobs.server.js";
import { type DriftSetting, monitoringJobHandlers } from "../monitoring/jobs.server.js";
import { recordAutoRetrain } from "../monitoring/metrics.server.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { recordSeries } from "../platform/metrics.server.js";
import { retentionJobHandlers } from "../retention/jobs.server.js";
import type { RetentionSetting } from "../retention/policy.server.js";
import { salesJobHandlers } from "../sales/jobs.server.js";
import type { SalesStream } from "../stream/port.js";
import { trainingJobHandlers } from "../training/jobs.server.js";
import { instrumentJobHandlers } from "./job-metrics.server.js";

export interface JobHandlerDeps {
  db: Database;
  models: ModelPool;
  stream: Pick<SalesStream, "lag" | "topic">;
  config: Pick<Config, "KAFKA_GROUP_ID"> &
    Partial<Pick<Config, "TRAIN_BATCH_SERIES" | RetentionSetting | DriftSetting | AnomalySetting>>;
  log: Logger;
  /** The queue a train-all asks for helpers on (see TrainingJobDeps.jobs). */
  jobs?: Pick<JobQueue, "enqueue" | "kind" | "get" | "findActive">;
}

/** The handlers of every job kind, counted and timed per attempt. */
export function jobHandlers(deps: JobHandlerDeps): JobHandlers {
  return instrumentJobHandlers({
    ...trainingJobHandlers({ ...deps, onOutcome: recordSeries }),
    ...forecastingJobHandlers(deps),
    ...salesJobHandlers(deps),
    ...retentionJobHandlers(deps),
    ...monitoringJobHandlers({ ...deps, onOutcome: recordAutoRetrain }),
    ...anomalyJobHandlers(deps),
  });
}
