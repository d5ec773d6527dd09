import type { JobQueue } from "../app/jobs/port.js";
import { countProductionVersions } from "../app/registry.server.js";
import type { BackgroundService, WorkerContext } from "./index.js";

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
      if ((await countProductionVersions(ctx.db)) > 0) return;
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
