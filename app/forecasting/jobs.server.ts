/** The batch-forecast job kind: the weekly forecast re-written from the production versions. */
import type { Logger } from "pino";
import type { JobHandlers } from "../jobs/port.js";
import type { ModelPool } from "../model/pool.server.js";
import type { Database } from "../platform/db.server.js";
import { batchForecast } from "./batch.server.js";

export function forecastingJobHandlers({
  db,
  models,
  log,
}: {
  db: Database;
  models: ModelPool;
  log: Logger;
}): Pick<JobHandlers, "batch-forecast"> {
  return {
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
  };
}
