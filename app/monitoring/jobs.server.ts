/**
 * The drift-check job kind (on its schedule, DRIFT_CRON, or on demand): sweeps the recent scores
 * (SCORE_SWEEP_DAYS, so the check reads complete ones), settles the automatic retrains still waiting
 * for their verdict, assesses every series, then applies the policy.
 */
import type { Logger } from "pino";
import type { JobHandlers, JobQueue } from "../jobs/port.js";
import type { Config } from "../platform/config.server.js";
import type { Database } from "../platform/db.server.js";
import { applyPolicy, judgePending, type RetrainOutcome } from "./auto-retrain.server.js";
import { DEFAULT_DRIFT_CHECK, type DriftCheckSettings, runDriftCheck } from "./drift-check.server.js";
import { DEFAULT_POLICY } from "./retrain-policy.js";
import { type SweepResult, sweepScores } from "./scoring.server.js";

export type DriftSetting =
  | "DRIFT_RMSPE_RATIO"
  | "DRIFT_WINDOW_DAYS"
  | "DRIFT_BIAS"
  | "DRIFT_BIAS_WEEKS"
  | "AUTO_RETRAIN"
  | "AUTO_RETRAIN_PER_HOUR"
  | "AUTO_RETRAIN_MAX_SHARE"
  | "AUTO_RETRAIN_AFTER_DAYS"
  | "SCORE_SWEEP_DAYS";

/** Days the sweep re-scores by default: the 14-day error window and the bias rule's weeks, whole. */
export const DEFAULT_SCORE_SWEEP_DAYS = 35;

/** The drift check's settings from the configuration (defaults where it says nothing). */
export function driftSettings(config: Partial<Pick<Config, DriftSetting>>): DriftCheckSettings {
  return {
    ...DEFAULT_DRIFT_CHECK,
    windowDays: config.DRIFT_WINDOW_DAYS ?? DEFAULT_DRIFT_CHECK.windowDays,
    rules: {
      ...DEFAULT_DRIFT_CHECK.rules,
      ratio: config.DRIFT_RMSPE_RATIO ?? DEFAULT_DRIFT_CHECK.rules.ratio,
      bias: config.DRIFT_BIAS ?? DEFAULT_DRIFT_CHECK.rules.bias,
      biasWeeks: config.DRIFT_BIAS_WEEKS ?? DEFAULT_DRIFT_CHECK.rules.biasWeeks,
    },
  };
}

export function monitoringJobHandlers({
  db,
  config,
  log,
  jobs,
  onOutcome,
}: {
  db: Database;
  config: Partial<Pick<Config, DriftSetting>>;
  log: Pick<Logger, "info" | "warn">;
  jobs?: Pick<JobQueue, "enqueue" | "findActive" | "get">;
  onOutcome?: (outcome: RetrainOutcome) => void;
}): Pick<JobHandlers, "drift-check"> {
  return {
    async "drift-check"(_data, ctx) {
      const mode = config.AUTO_RETRAIN ?? "suggest";
      const deps = { db, jobs: jobs ?? noQueue, log, onOutcome };
      // First, so the check reads every score there is; a failure fails the job (it is retried).
      const sweep = await sweepRecent(db, config.SCORE_SWEEP_DAYS ?? DEFAULT_SCORE_SWEEP_DAYS, log, ctx.id);
      const judged = jobs ? await judgePending(deps, mode === "on") : null;
      const check = await runDriftCheck(db, driftSettings(config), {
        signal: ctx.signal,
        onProgress: (done, total) => ctx.progress(done, total),
      });
      const policy = await applyPolicy(deps, check, {
        mode: jobs ? mode : mode === "on" ? "suggest" : mode,
        perHour: config.AUTO_RETRAIN_PER_HOUR ?? 50,
        maxShare: config.AUTO_RETRAIN_MAX_SHARE ?? DEFAULT_POLICY.maxShare,
        afterDays: config.AUTO_RETRAIN_AFTER_DAYS ?? DEFAULT_POLICY.afterDays,
      });
      const result = {
        asOf: check.asOf,
        checked: check.checked,
        degraded: check.degraded.length,
        ...policy,
        judged,
        sweep,
      };
      log.info({ jobId: ctx.id, ...result }, "drift check finished");
      return result;
    },
  };
}

/** The sweep of the last `days` days of scores (0: none), logged with what it wrote. */
async function sweepRecent(
  db: Database,
  days: number,
  log: Pick<Logger, "info">,
  jobId: string,
): Promise<SweepResult | null> {
  if (days === 0) return null;
  const started = performance.now();
  const sweep = await sweepScores(db, days);
  log.info({ jobId, days, ...sweep, ms: Math.round(performance.now() - started) }, "score sweep finished");
  return sweep;
}

/** Without a queue nothing can be retrained: the policy only suggests. */
const noQueue: Pick<JobQueue, "enqueue" | "findActive" | "get"> = {
  enqueue: () => Promise.reject(new Error("no job queue: automatic retraining cannot enqueue")),
  findActive: () => Promise.resolve(null),
  get: () => Promise.resolve(null),
};
