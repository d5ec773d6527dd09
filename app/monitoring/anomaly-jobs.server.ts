/** The anomaly-scan job kind: scans the stores' weekly profiles (on ANOMALY_CRON, or on demand). */
import type { Logger } from "pino";
import type { JobHandlers } from "../jobs/port.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { scanAnomalies, scanDay } from "./anomalies.server.js";

export type AnomalySetting = "ANOMALY_WINDOW_DAYS" | "ANOMALY_SENSITIVITY";

export function anomalyJobHandlers({
  db,
  config,
  log,
}: {
  db: Database;
  config: Partial<Pick<Config, AnomalySetting>>;
  log: Pick<Logger, "info">;
}): Pick<JobHandlers, "anomaly-scan"> {
  return {
    async "anomaly-scan"(data, ctx) {
      const scan = await scanAnomalies(db, scanDay(data), {
        windowDays: config.ANOMALY_WINDOW_DAYS ?? 28,
        sensitivity: config.ANOMALY_SENSITIVITY ?? 0.3,
      });
      log.info(
        { jobId: ctx.id, day: scan.day, scanned: scan.storesScanned, anomalous: scan.anomalous, ms: scan.durationMs },
        "anomaly scan finished",
      );
      // The job's result: the counts and the flagged stores' numbers (the scores are in GET /api/anomalies).
      return { ...scan, anomalies: scan.anomalies.map((a) => a.store) };
    },
  };
}
