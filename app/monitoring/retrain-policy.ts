/**
 * What the automatic retraining policy does with degraded series (issue 15, item 4), and whether a
 * retrain helped. Pure: the drift check gives it the state it read and carries out its plan.
 */

/** AUTO_RETRAIN: `off` does nothing, `suggest` lists what it would retrain, `on` queues the retrains. */
export const AUTO_RETRAIN_MODES = ["off", "suggest", "on"] as const;
export type AutoRetrainMode = (typeof AUTO_RETRAIN_MODES)[number];

export interface PolicySettings {
  mode: AutoRetrainMode;
  /** Automatic retrains requested in any hour at most. */
  perHour: number;
  /** Share of the fleet (series in production) retraining automatically at once, at most. */
  maxShare: number;
  /**
   * Nightly checks a series must have been degraded in a row before it is retrained: a model
   * refitted on a day or two of a change learns nothing of it (and a one-night flag may be noise).
   */
  afterDays: number;
}

export const DEFAULT_POLICY: PolicySettings = { mode: "suggest", perHour: 50, maxShare: 0.1, afterDays: 5 };

export interface Candidate {
  /** `store:productname` (series.ts seriesId). */
  series: string;
  /** How far off it is: the worst first (realized / CV error, or 1 when only bias or a shift). */
  severity: number;
  /** Nightly checks it has been degraded in a row, this one included (1 when unknown). */
  degradedDays?: number;
}

export interface PolicyState {
  /** Series in production. */
  fleet: number;
  /** Automatic retrains queued or running now. */
  active: number;
  /** Automatic retrains requested in the last hour. */
  lastHour: number;
  /** Series that already have a retrain queued or running (any origin), or one awaiting its verdict. */
  busy: ReadonlySet<string>;
  /**
   * Series whose production version is what an automatic retrain that did not help left (its own
   * version, or the one it was rolled back to): retraining again on the same data will not either.
   */
  unhelped?: ReadonlySet<string>;
}

export type SkipReason = "off" | "suggested" | "busy" | "did-not-help" | "waiting" | "hourly-limit" | "fleet-share";

export interface RetrainPlan {
  /** To queue now, worst first. */
  queue: Candidate[];
  /** Not queued, and why (`suggested`: the mode is suggest). */
  skipped: { candidate: Candidate; why: SkipReason }[];
}

/** Deduplicated, worst first, within the hourly limit and the fleet share. */
export function planRetrains(
  candidates: readonly Candidate[],
  state: PolicyState,
  settings: PolicySettings = DEFAULT_POLICY,
): RetrainPlan {
  const plan: RetrainPlan = { queue: [], skipped: [] };
  const seen = new Set<string>();
  const ordered = [...candidates].sort((a, b) => b.severity - a.severity || a.series.localeCompare(b.series));
  const shareRoom = Math.floor(state.fleet * settings.maxShare) - state.active;
  const hourRoom = settings.perHour - state.lastHour;
  for (const candidate of ordered) {
    if (seen.has(candidate.series)) continue;
    seen.add(candidate.series);
    const why: SkipReason | null =
      settings.mode === "off"
        ? "off"
        : state.busy.has(candidate.series)
          ? "busy"
          : state.unhelped?.has(candidate.series)
            ? "did-not-help"
            : (candidate.degradedDays ?? 1) < (settings.afterDays ?? 1)
              ? "waiting"
              : settings.mode === "suggest"
                ? "suggested"
                : plan.queue.length >= hourRoom
                  ? "hourly-limit"
                  : plan.queue.length >= shareRoom
                    ? "fleet-share"
                    : null;
    if (why) plan.skipped.push({ candidate, why });
    else plan.queue.push(candidate);
  }
  return plan;
}

export interface WeekError {
  /** Realized RMSPE over the open days scored (null: none). */
  rmspe: number | null;
  days: number;
}

/** `pending` until the new version has a full week scored; `worse` is flagged for rollback. */
export type Verdict = "pending" | "helped" | "same" | "worse";

/**
 * Did the retrain help: the new version's realized error over its first full week against the old
 * version's over its last week before the retrain. Within `tolerance` (relative) is the same.
 */
export function judgeRetrain(before: WeekError, after: WeekError, fullWeekDays = 6, tolerance = 0.05): Verdict {
  if (after.rmspe === null || after.days < fullWeekDays) return "pending";
  if (before.rmspe === null || before.days === 0) return "same";
  if (after.rmspe > before.rmspe * (1 + tolerance)) return "worse";
  if (after.rmspe < before.rmspe * (1 - tolerance)) return "helped";
  return "same";
}
