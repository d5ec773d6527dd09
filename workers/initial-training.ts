import { type JobQueue, wasInterrupted } from "../app/jobs/port.js";
import { PipelineRun } from "../app/pipelines/runs.server.js";
import { countProductionVersions } from "../app/registry/versions.server.js";
import { stopTrainRunsOfJob, unfinishedTrainRuns } from "../app/training/train-runs.server.js";
import type { BackgroundService, WorkerContext } from "./index.js";

/**
 * A train-all run left unfinished (PENDING: stopped by a shutdown; RUNNING: its process died) whose
 * job is no longer queued or running (the in-process queue's job ends STOPPED, interrupted) is resumed by a
 * new train-all job: it trains only the series the run had not finished. A run whose job is still
 * queued or running (BullMQ hands jobs back) is left to that job. Older unfinished runs are stopped:
 * the newest one covers the same series. Returns the resume job's id, if any.
 */
export async function resumeInterruptedRun(ctx: WorkerContext, jobs: JobQueue): Promise<string | null> {
  let [newest, ...older] = await unfinishedTrainRuns(ctx.db);
  let job = newest?.jobId ? await jobs.get(newest.jobId) : null;
  // Its job was cancelled (while the run waited to resume): the run ends STOPPED, not resumed. A job
  // stopped only because its process stopped (in-process queue) is resumed like a forgotten one.
  while (newest && job?.status === "STOPPED" && !wasInterrupted(job)) {
    await stopTrainRunsOfJob(ctx.db, job.id, "cancelled: its job was stopped");
    ctx.log.info({ runId: newest.id, jobId: job.id }, "train-all run of a cancelled job stopped");
    [newest, ...older] = older;
    job = newest?.jobId ? await jobs.get(newest.jobId) : null;
  }
  if (!newest) return null;
  if (job && (job.status === "PENDING" || job.status === "RUNNING")) return null;
  for (const run of older) {
    const taken = await PipelineRun.resume(ctx.db, run.id);
    await taken?.run.finish("STOPPED", { error: `superseded by the resumed run ${newest.id}` });
  }
  const { id } = await jobs.enqueue(
    "train-all",
    { runKind: newest.kind, resumeRunId: newest.id },
    { dedupeKey: "train-all" },
  );
  ctx.log.info({ runId: newest.id, jobId: id, status: newest.status }, "resuming an interrupted train-all run");
  return id;
}

/**
 * On a fresh database there is history but no model: train every series once in the
 * background, so forecasts appear without anyone waiting for the weekly schedule. The web
 * app is up meanwhile. It is a train-all job like any other (it shows in the job list; with
 * several replicas starting at once, the dedupe key makes it one job); this service logs its
 * progress. On shutdown the queue stops it (see workers/jobs.ts).
 */
export function initialTraining(ctx: WorkerContext, jobs: JobQueue): BackgroundService {
  let unsubscribe = () => {};
  return {
    name: "initial-training",
    async start() {
      const resumed = await resumeInterruptedRun(ctx, jobs);
      if (resumed) {
        unsubscribe = jobs.subscribe(resumed, (event) => {
          if (event.status === "SUCCEEDED" || event.status === "FAILED" || event.status === "STOPPED") {
            const r = (event.result ?? {}) as Record<string, unknown>;
            ctx.log.info(
              { jobId: resumed, status: event.status, runId: r.runId, trained: r.trained, error: event.error },
              "resumed train-all finished",
            );
            unsubscribe();
          }
        });
        return;
      }
      if (!ctx.config.AUTO_TRAIN || (await countProductionVersions(ctx.db)) > 0) return;
      ctx.log.info("no trained models yet: training every series in the background");
      const { id, deduplicated } = await jobs.enqueue(
        "train-all",
        { runKind: "train-all" },
        { dedupeKey: "train-all" },
      );
      let lastLogged = 0;
      unsubscribe = jobs.subscribe(id, (event) => {
        if (event.status === "RUNNING" && event.progress) {
          const { done, total } = event.progress;
          if (Date.now() - lastLogged < 5000 && done !== total) return;
          lastLogged = Date.now();
          ctx.log.info({ jobId: id, done, total }, "initial training");
        } else if (event.status === "SUCCEEDED") {
          const r = (event.result ?? {}) as Record<string, unknown>;
          ctx.log.info(
            {
              jobId: id,
              runId: r.runId,
              status: r.status,
              trained: r.trained,
              skipped: r.skipped,
              failed: r.failed,
              ms: r.durationMs,
            },
            "initial training finished",
          );
          unsubscribe();
        } else if (event.status === "FAILED" || event.status === "STOPPED") {
          ctx.log.error({ jobId: id, status: event.status, error: event.error }, "initial training failed");
          if (event.status === "STOPPED") unsubscribe();
        }
      });
      ctx.log.info({ jobId: id, deduplicated }, "initial training queued as a train-all job");
    },
    async stop() {
      unsubscribe();
    },
  };
}
