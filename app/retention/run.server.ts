/**
 * One retention run, recorded as a `retention` pipeline run with what it deleted of each kind: model
 * versions the policy no longer keeps and their forecast rows, old finished pipeline runs, old
 * rejected stream records and old finished job records. Each kind is deleted by its own domain's
 * SQL, a batch at a time (short statements, short locks), so a cancelled run stops between batches
 * and a failed one leaves nothing half done: the next run goes on where it stopped.
 */
import { DAY_MS } from "../days.js";
import { deleteForecastsWithoutVersion } from "../forecasting/weekly.server.js";
import { purgeJobRecords } from "../jobs/job-store.server.js";
import { deleteFinishedRunsOlderThan, PipelineRun } from "../pipelines/runs.server.js";
import type { Database } from "../platform/db.server.js";
import { deleteExpiredVersions } from "../registry/retention.server.js";
import { deleteRejectsOlderThan } from "../sales/rejects.server.js";
import type { RetentionPolicy } from "./policy.server.js";

/** Rows deleted per statement. */
export const RETENTION_BATCH = 1000;

/** What a run deleted, by kind (the pipelines page and the run's counts show them). */
export interface RetentionCounts {
  modelVersions: number;
  forecastRows: number;
  pipelineRuns: number;
  streamRejects: number;
  jobRecords: number;
}

export interface RetentionReport {
  runId: number;
  status: "SUCCEEDED" | "STOPPED";
  counts: RetentionCounts;
}

export interface RetentionOptions {
  jobId?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number) => void;
  /** Rows per statement (default RETENTION_BATCH). */
  batch?: number;
}

class Stopped extends Error {}

/** Applies `policy` once; throws (the run recorded FAILED with what it deleted so far) on an error. */
export async function runRetention(
  db: Database,
  policy: RetentionPolicy,
  opts: RetentionOptions = {},
): Promise<RetentionReport> {
  const batch = opts.batch ?? RETENTION_BATCH;
  const run = await PipelineRun.start(db, "retention", { params: policy, jobId: opts.jobId });
  const counts: RetentionCounts = {
    modelVersions: 0,
    forecastRows: 0,
    pipelineRuns: 0,
    streamRejects: 0,
    jobRecords: 0,
  };
  const kinds: [keyof RetentionCounts, string, () => Promise<number>][] = [
    [
      "modelVersions",
      "model versions",
      () => deleteExpiredVersions(db, { keepArchived: policy.keepVersions, keepDays: policy.versionDays }, batch),
    ],
    // After the versions: their forecast rows go with them.
    ["forecastRows", "forecast rows of deleted versions", () => deleteForecastsWithoutVersion(db, batch)],
    ["pipelineRuns", "pipeline runs", () => deleteFinishedRunsOlderThan(db, policy.runDays, batch)],
    ["streamRejects", "stream rejects", () => deleteRejectsOlderThan(db, policy.rejectDays, batch)],
    [
      "jobRecords",
      "job records",
      () => purgeJobRecords(db, new Date(Date.now() - policy.jobRecordDays * DAY_MS), batch),
    ],
  ];
  try {
    for (const [i, [key, name, deleteBatch]] of kinds.entries()) {
      opts.onProgress?.(i, kinds.length);
      await run.progress(i, kinds.length);
      await run.step(name, async () => {
        for (;;) {
          if (opts.signal?.aborted) throw new Stopped();
          const n = await deleteBatch();
          counts[key] += n;
          if (n > 0) run.log.info(`deleted ${n} ${name}`, { kind: key, deleted: n, total: counts[key] });
          if (n < batch) return;
        }
      });
    }
    opts.onProgress?.(kinds.length, kinds.length);
    await run.progress(kinds.length, kinds.length);
    await run.finish("SUCCEEDED", { counts });
    return { runId: run.id, status: "SUCCEEDED", counts };
  } catch (err) {
    if (err instanceof Stopped) {
      await run.finish("STOPPED", { counts, error: "cancelled: the rest is deleted by the next run" });
      return { runId: run.id, status: "STOPPED", counts };
    }
    await run.finish("FAILED", { counts, error: (err as Error).message }).catch(() => {});
    throw err;
  }
}
