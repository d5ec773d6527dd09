/** The training job kinds: train-one (a retrain), train-all (the weekly run) and its train-chunk helpers. */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { abortedForShutdown, type JobHandlers, type JobQueue } from "../jobs/port.js";
import type { ModelPool } from "../model/pool.server.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { workerName } from "./claims.server.js";
import type { OutcomeListener } from "./series-trainer.server.js";
import { trainAll, trainRunSeries } from "./train-all.server.js";
import { trainOne } from "./train-one.server.js";
import { trainRunInProgress } from "./train-runs.server.js";

export interface TrainingJobDeps {
  db: Database;
  models: ModelPool;
  config: Partial<Pick<Config, "TRAIN_BATCH_SERIES">>;
  log: Logger;
  /**
   * The queue a train-all asks for helpers on (train-chunk jobs, which any replica's workers take).
   * Only BullMQ has other replicas: in-process, the train-all's own job uses every model thread.
   */
  jobs?: Pick<JobQueue, "enqueue" | "kind" | "get">;
  /** Each series a job finishes (the server counts them in its metrics). */
  onOutcome?: OutcomeListener;
}

export function trainingJobHandlers({
  db,
  models,
  config,
  log,
  jobs,
  onOutcome,
}: TrainingJobDeps): Pick<JobHandlers, "train-one" | "train-all" | "train-chunk"> {
  return {
    async "train-one"(data, ctx) {
      ctx.progress(0, 1);
      const r = await trainOne(
        db,
        models,
        { store: data.store, productname: data.productname },
        { jobId: ctx.id, onOutcome },
      );
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
        onOutcome,
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
        onOutcome,
      });
      log.info({ jobId: ctx.id, runId: r.runId, finished: r.finished, note: r.note }, "train-all helper finished");
      return r;
    },
  };
}
