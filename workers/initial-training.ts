import { trainAll } from "../app/forecast.server.js";
import type { ModelPool } from "../app/model-pool.server.js";
import { countProductionVersions } from "../app/registry.server.js";
import type { BackgroundService, WorkerContext } from "./index.js";

/**
 * On a fresh database there is history but no model: train every series once in the
 * background, so forecasts appear without anyone waiting for the weekly schedule. The web
 * app is up meanwhile. On shutdown the run stops taking new series and ends STOPPED.
 */
export function initialTraining(ctx: WorkerContext, pool: ModelPool): BackgroundService {
  const abort = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  return {
    name: "initial-training",
    async start() {
      if ((await countProductionVersions(ctx.db)) > 0) return;
      let lastLogged = 0;
      ctx.log.info({ threads: pool.threads }, "no trained models yet: training every series in the background");
      running = trainAll(ctx.db, pool, {
        signal: abort.signal,
        onProgress: (done, total) => {
          if (Date.now() - lastLogged < 5000 && done !== total) return;
          lastLogged = Date.now();
          ctx.log.info({ done, total }, "initial training");
        },
      }).then(
        (r) =>
          ctx.log.info(
            {
              runId: r.runId,
              status: r.status,
              trained: r.trained,
              skipped: r.skipped,
              failed: r.failed,
              ms: r.durationMs,
            },
            "initial training finished",
          ),
        (err: unknown) => ctx.log.error({ err }, "initial training failed"),
      );
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}
