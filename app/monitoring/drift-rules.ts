/**
 * When a series is degraded, and why (issue 15, item 2): its realized error over a recent window
 * well above what cross-validation promised, a bias that persists week after week, or a change in
 * its sales level. Pure: the drift check reads the numbers and acts on the reasons.
 */
export interface DriftSettings {
  /** Degraded when realized RMSPE > ratio x CV RMSPE ... */
  ratio: number;
  /** ... and exceeds it by at least this much (a CV of 2% is not broken at 4%). */
  minGap: number;
  /** Also degraded when realized RMSPE exceeds the CV RMSPE by this much, whatever the ratio (a CV of 15% at 43%). */
  maxGap: number;
  /** Open days scored in the window before the error rule speaks. */
  minDays: number;
  /** |mean signed % error| above this in a week is a biased week ... */
  bias: number;
  /** ... and this many consecutive biased weeks of the same sign are a persistent bias. */
  biasWeeks: number;
  /** Open days scored since a level shift before the forecasts' error there confirms it. */
  shiftDays: number;
  /** Promo days scored in the window before the promo rule speaks ... */
  promoDays: number;
  /** ... and |mean signed error| on them above this, with the other days within it, is a promo that misbehaves. */
  promoBias: number;
}

export const DEFAULT_DRIFT: DriftSettings = {
  ratio: 3,
  minGap: 0.05,
  maxGap: 0.2,
  minDays: 4,
  bias: 0.2,
  biasWeeks: 2,
  shiftDays: 3,
  promoDays: 4,
  promoBias: 0.2,
};

export interface WindowAccuracy {
  /** Realized RMSPE over the window's open days with sales (null: none). */
  rmspe: number | null;
  /** Open days scored in the window. */
  days: number;
}

export interface WeekBias {
  /** The week's first day. */
  week: string;
  /** Mean signed % error (forecast - actual) / actual over its open days (> 0: over-forecast); null: none scored. */
  bias: number | null;
  days: number;
}

export interface DriftInput {
  cvRmspe: number | null;
  recent: WindowAccuracy;
  /** Oldest first. */
  weeks: readonly WeekBias[];
  /**
   * The newest change in sales level (level-shift.server.ts), if any, with the production version's
   * mean signed % error over the open days scored since it (null: none scored).
   */
  levelShift: { day: string; change: number; bias: number | null; days: number } | null;
  /** The newest day the production version was trained on (null: unknown). */
  trainEnd: string | null;
  /** Mean signed % error on the recent promo days and on the other open days (null: none scored). */
  promo?: { bias: number | null; days: number; otherBias: number | null };
}

export type DriftReason =
  | { kind: "error"; realized: number; promised: number; ratio: number; days: number }
  | { kind: "bias"; bias: number; weeks: number; since: string }
  | { kind: "promo"; bias: number; days: number }
  | { kind: "level-shift"; day: string; change: number };

/** The reasons a series is degraded; none: it is not. */
export function assessDrift(input: DriftInput, settings: DriftSettings = DEFAULT_DRIFT): DriftReason[] {
  const reasons: DriftReason[] = [];
  const { cvRmspe, recent } = input;
  if (
    recent.rmspe !== null &&
    recent.days >= settings.minDays &&
    cvRmspe !== null &&
    cvRmspe > 0 &&
    (recent.rmspe > settings.ratio * cvRmspe || recent.rmspe - cvRmspe > settings.maxGap) &&
    recent.rmspe - cvRmspe >= settings.minGap
  ) {
    reasons.push({
      kind: "error",
      realized: recent.rmspe,
      promised: cvRmspe,
      ratio: recent.rmspe / cvRmspe,
      days: recent.days,
    });
  }

  // The newest weeks, counted back while each is biased the same way. The newest may have only just
  // begun (a check on Monday's scores sees one day of it): too few days to judge it, it is left out
  // rather than ending the run, or a persistent bias would vanish from the check early each week.
  const minWeekDays = Math.min(settings.minDays, 3);
  const newestFirst = [...input.weeks].reverse();
  if (newestFirst[0] && newestFirst[0].days < minWeekDays) newestFirst.shift();
  let run = 0;
  let sign = 0;
  let since = "";
  let total = 0;
  for (const w of newestFirst) {
    if (w.bias === null || w.days < minWeekDays || Math.abs(w.bias) <= settings.bias) break;
    const s = Math.sign(w.bias);
    if (sign !== 0 && s !== sign) break;
    sign = s;
    run++;
    total += w.bias;
    since = w.week;
  }
  if (run >= settings.biasWeeks) reasons.push({ kind: "bias", bias: total / run, weeks: run, since });

  // Promotions that no longer lift sales as the model learned (or lift them more): only promo days are off.
  const promo = input.promo;
  if (
    promo &&
    promo.bias !== null &&
    promo.days >= settings.promoDays &&
    Math.abs(promo.bias) > settings.promoBias &&
    (promo.otherBias === null || Math.abs(promo.otherBias) <= settings.promoBias)
  ) {
    reasons.push({ kind: "promo", bias: promo.bias, days: promo.days });
  }

  // A level shift is drift only when the model has not seen it (after its training data) and its
  // forecasts since then miss the way the level moved: a promo run or a shift the model learned is not.
  const shift = input.levelShift;
  if (
    shift &&
    (input.trainEnd === null || shift.day > input.trainEnd) &&
    shift.days >= settings.shiftDays &&
    shift.bias !== null &&
    Math.sign(shift.bias) === -Math.sign(shift.change) &&
    Math.abs(shift.bias) > settings.bias
  ) {
    reasons.push({ kind: "level-shift", day: shift.day, change: shift.change });
  }
  return reasons;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/** A sentence a merchandiser reads. */
export function describeReason(r: DriftReason): string {
  switch (r.kind) {
    case "error":
      return `realized error ${pct(r.realized)} over ${r.days} open days is ${r.ratio.toFixed(1)}x the ${pct(r.promised)} cross-validation promised`;
    case "bias":
      return `${r.bias > 0 ? "over" : "under"}-forecast by ${pct(Math.abs(r.bias))} on average for ${r.weeks} weeks since ${r.since}`;
    case "promo":
      return `promo days ${r.bias > 0 ? "over" : "under"}-forecast by ${pct(Math.abs(r.bias))} over the last ${r.days}, the other days on target: promotions no longer lift sales as the model expects`;
    case "level-shift":
      return `sales level ${r.change > 0 ? "rose" : "fell"} ${pct(Math.abs(r.change))} from ${r.day}`;
  }
}
