/** The ingest-daily job kind: the daily check of what the stream ingested. */
import { formatDay, todayDay } from "../days.js";
import type { JobHandlers } from "../jobs/port.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import type { SalesStream } from "../stream/port.js";
import { dailyIngestionRun } from "./ingest.server.js";

export function salesJobHandlers({
  db,
  stream,
  config,
}: {
  db: Database;
  stream: Pick<SalesStream, "lag" | "topic">;
  config: Pick<Config, "KAFKA_GROUP_ID">;
}): Pick<JobHandlers, "ingest-daily"> {
  return {
    async "ingest-daily"(data, ctx) {
      ctx.progress(0, 1);
      const day = data.day ?? (data.daysAgo ? formatDay(todayDay() - data.daysAgo) : undefined);
      const r = await dailyIngestionRun(db, stream, { day, groupId: config.KAFKA_GROUP_ID, jobId: ctx.id });
      ctx.progress(1, 1);
      // The run is recorded either way; a failed check fails the job, so it is retried.
      if (r.status === "FAILED") throw new Error(`ingest-daily ${r.day} (run ${r.runId}): ${r.error}`);
      return r;
    },
  };
}
