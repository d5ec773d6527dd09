/**
 * What each job kind does (the queue adapters only run them), and re-running a failed pipeline
 * run as a job.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { formatDay, todayDay } from "../days.js";
import { ValidationError } from "../errors.js";
import { batchForecast, trainAll, trainOne, trainRunSeries, unfinishedTrainRuns } from "../forecast.server.js";
import { abortedForShutdown, type JobDataByKind, type JobHandlers, type JobKind, type JobQueue } from "../jobs/port.js";
import type { ModelPool } from "../model/pool.server.js";
import { getRun } from "../pipelines/runs.server.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { NotFoundError } from "../registry/versions.server.js";
import { dailyIngestionRun } from "../sales/ingest.server.js";
import type { SalesStream } from "../stream/port.js";
import { workerName } from "../training/claims.server.js";
import { instrumentJobHandlers } from "./job-metrics.server.js";

export interface JobHandlerDeps {
  db: Database;
  models: ModelPool;
  stream: Pick<SalesStream, "lag" | "topic">;
  config: Pick<Config, "KAFKA_GROUP_ID"> & Partial<Pick<Config, "TRAIN_BATCH_SERIES">>;
  log: Logger;
  /**
   * The queue a train-all asks for helpers on (train-chunk jobs, which any replica's workers take).
   * Only BullMQ has other replicas: in-process, the train-all's own job uses every model thread.
   */
  jobs?: Pick<JobQueue, "enqueue" | "kind" | "get">;
}

/**
 * Another train-all run still in progress under a job that is still queued or running, or null.
 * A second train-all then would train every series again: the weekly schedule firing during a
 * manual train-all, say, which a job scheduler cannot deduplicate.
 */
export async function trainRunInProgress(
  db: Database,
  jobs: Pick<JobQueue, "get">,
  jobId: string,
): Promise<number | null> {
  for (const run of await unfinishedTrainRuns(db)) {
    if (!run.jobId || run.jobId === jobId) continue;
    const job = await jobs.get(run.jobId);
    if (job && (job.status === "PENDING" || job.status === "RUNNING")) return run.id;
  }
  return null;
}

/** The dedupe key of a job, so one series (or the whole chain) is never trained twice at once. */
export function dedupeKeyOf<K extends JobKind>(kind: K, data: JobDataByKind[K]): string {
  if (kind === "train-one") {
    const { store, productname } = data as JobDataByKind["train-one"];
    return `train-one:${store}:${productname}`;
  }
  if (kind === "ingest-daily") return `ingest-daily:${(data as JobDataByKind["ingest-daily"]).day ?? "today"}`;
  return kind;
}

/** The handlers, counted and timed per attempt (job-metrics.server.ts). */
export function jobHandlers({ db, models, stream, config, log, jobs }: JobHandlerDeps): JobHandlers {
  return instrumentJobHandlers({
    async "train-one"(data, ctx) {
      ctx.progress(0, 1);
      const r = await trainOne(db, models, { store: data.store, productname: data.productname }, { jobId: ctx.id });
      ctx.progress(1, 1);
      log.info({ jobId: ctx.id, runId: r.runId, model: r.version.name, version: r.version.version }, "retrained");
      return {
        runId: r.runId,
        store: data.store,
        productname: data.productname,
        modelName: r.version.name,
        modelVersion: r.version.version,
        trainRows: r.train.trainRows,
        durationMs: Math.round(r.train.durationMs),
      };
    },

    async "train-all"(data, ctx) {
      // A resume continues its own run; a new train-all yields to one in progress.
      const busy = data.resumeRunId === undefined && jobs ? await trainRunInProgress(db, jobs, ctx.id) : null;
      if (busy !== null) {
        log.info({ jobId: ctx.id, runId: busy }, "train-all not started: another train-all run is in progress");
        return { status: "SKIPPED", inProgressRunId: busy };
      }
      const helpers = jobs?.kind === "bullmq" ? jobs : undefined;
      const r = await trainAll(db, models, {
        runKind: data.runKind ?? "train-all",
        resumeRunId: data.resumeRunId,
        jobId: ctx.id,
        worker: workerName(`${ctx.id.slice(0, 8)}.${randomUUID().slice(0, 4)}`),
        batchSize: config.TRAIN_BATCH_SERIES,
        signal: ctx.signal,
        interrupted: () => abortedForShutdown(ctx.signal),
        onProgress: (done, total) => ctx.progress(done, total),
        requestHelpers: helpers
          ? async (runId, count) => {
              for (let i = 0; i < count; i++) await helpers.enqueue("train-chunk", { runId });
              log.info({ jobId: ctx.id, runId, helpers: count }, "train-all: asked for helpers");
            }
          : undefined,
      });
      log.info(
        {
          jobId: ctx.id,
          runId: r.runId,
          status: r.status,
          trained: r.trained,
          skipped: r.skipped,
          failed: r.failed,
          workers: r.workers,
        },
        r.status === "PENDING" ? "train-all interrupted: it resumes when its job runs again" : "train-all finished",
      );
      return r;
    },

    async "train-chunk"(data, ctx) {
      const r = await trainRunSeries(db, models, data.runId, {
        worker: workerName(`${ctx.id.slice(0, 8)}.${randomUUID().slice(0, 4)}`),
        batchSize: config.TRAIN_BATCH_SERIES,
        signal: ctx.signal,
      });
      log.info({ jobId: ctx.id, runId: r.runId, finished: r.finished, note: r.note }, "train-all helper finished");
      return r;
    },

    async "batch-forecast"(_data, ctx) {
      const r = await batchForecast(db, models, {
        jobId: ctx.id,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(done, total),
      });
      log.info(
        { jobId: ctx.id, runId: r.runId, status: r.status, forecast: r.forecast, failed: r.failed },
        "batch forecast finished",
      );
      return r;
    },

    async "ingest-daily"(data, ctx) {
      ctx.progress(0, 1);
      const day = data.day ?? (data.daysAgo ? formatDay(todayDay() - data.daysAgo) : undefined);
      const r = await dailyIngestionRun(db, stream, { day, groupId: config.KAFKA_GROUP_ID });
      ctx.progress(1, 1);
      // The run is recorded either way; a failed check fails the job, so it is retried.
      if (r.status === "FAILED") throw new Error(`ingest-daily ${r.day} (run ${r.runId}): ${r.error}`);
      return r;
    },
  });
}

/**
 * Runs a FAILED or STOPPED pipeline run again as a new job of the matching kind: train-all and
 * train-weekly -> train-all (same run kind), retrain -> train-one (same series), batch-forecast,
 * ingest-daily (same day). Returns the job (an identical job already waiting or running is
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
  const enqueue = <K extends JobKind>(kind: K, data: JobDataByKind[K]) =>
    jobs.enqueue(kind, data, { dedupeKey: dedupeKeyOf(kind, data) });
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
    default:
      throw new ValidationError("run", `pipeline run ${runId} is a ${run.kind} run, which cannot be retried as a job`);
  }
}
