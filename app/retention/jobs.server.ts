/** The retention job kind: applies the retention policy (on its schedule, RETENTION_CRON, or on demand). */
import type { Logger } from "pino";
import type { JobHandlers } from "../jobs/port.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { type RetentionSetting, retentionPolicy } from "./policy.server.js";
import { runRetention } from "./run.server.js";

export function retentionJobHandlers({
  db,
  config,
  log,
}: {
  db: Database;
  config: Partial<Pick<Config, RetentionSetting>>;
  log: Pick<Logger, "info">;
}): Pick<JobHandlers, "retention"> {
  return {
    async retention(_data, ctx) {
      const r = await runRetention(db, retentionPolicy(config), {
        jobId: ctx.id,
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(done, total),
      });
      log.info({ jobId: ctx.id, runId: r.runId, status: r.status, deleted: r.counts }, "retention finished");
      return r;
    },
  };
}
