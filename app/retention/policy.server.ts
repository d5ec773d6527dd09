/** The retention policy: what the retention job keeps, from the RETENTION_* settings. */
import { DAY_MS } from "../days.js";
import { JOB_RETENTION_MS } from "../jobs/port.js";
import { type Config, loadConfig } from "../platform/config.server.js";

export type RetentionSetting =
  | "RETENTION_KEEP_VERSIONS"
  | "RETENTION_VERSION_DAYS"
  | "RETENTION_RUN_DAYS"
  | "RETENTION_REJECT_DAYS";

export interface RetentionPolicy {
  /** Archived versions kept per model beyond production, however old (RETENTION_KEEP_VERSIONS). */
  keepVersions: number;
  /** Versions younger than this are kept (RETENTION_VERSION_DAYS). */
  versionDays: number;
  /** Finished runs older than this are deleted, the newest of each kind kept (RETENTION_RUN_DAYS). */
  runDays: number;
  /** Rejected stream records older than this are deleted (RETENTION_REJECT_DAYS). */
  rejectDays: number;
  /** Finished job records older than this are deleted: the 7 days of ADR 19, not a setting. */
  jobRecordDays: number;
}

/** The policy the settings describe; a setting not given takes its documented default. */
export function retentionPolicy(config: Partial<Pick<Config, RetentionSetting>> = {}): RetentionPolicy {
  const defaults = loadConfig({});
  return {
    keepVersions: config.RETENTION_KEEP_VERSIONS ?? defaults.RETENTION_KEEP_VERSIONS,
    versionDays: config.RETENTION_VERSION_DAYS ?? defaults.RETENTION_VERSION_DAYS,
    runDays: config.RETENTION_RUN_DAYS ?? defaults.RETENTION_RUN_DAYS,
    rejectDays: config.RETENTION_REJECT_DAYS ?? defaults.RETENTION_REJECT_DAYS,
    jobRecordDays: JOB_RETENTION_MS / DAY_MS,
  };
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The policy in words, one phrase per kind (the pipelines page shows them). */
export function describeRetentionPolicy(p: RetentionPolicy): string[] {
  return [
    `model versions: the production one, the ${plural(p.keepVersions, "newest other", "newest others")} and ` +
      `any younger than ${plural(p.versionDays, "day")} are kept (with their forecasts)`,
    `finished pipeline runs older than ${plural(p.runDays, "day")} (the newest of each kind is kept)`,
    `rejected stream records older than ${plural(p.rejectDays, "day")}`,
    `finished job records older than ${plural(p.jobRecordDays, "day")}`,
  ];
}
