/**
 * A change in a series' sales level (a competitor opens, a refurbishment), found with augurs'
 * Bayesian online changepoint detector (Normal-Gamma) over the recent daily sales with the weekly
 * pattern divided out. Synchronous, no database: the drift check feeds it the days it read.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { ChangepointDetector, initSync } from "@bsull/augurs/changepoint";
import { isoWeekday, parseDay } from "../days.js";

export interface SalesDay {
  date: string;
  sales: number;
  open: boolean;
}

export interface LevelShift {
  /** The first day at the new level. */
  day: string;
  /** Mean weekday-adjusted sales before and after it. */
  before: number;
  after: number;
  /** after / before - 1 (-0.3: sales fell by 30%). */
  change: number;
}

export interface LevelShiftSettings {
  /** Open days that set the weekly pattern and the scale (the oldest of those given). */
  baselineDays: number;
  /** A changepoint counts only within this many calendar days of the newest day. */
  recentDays: number;
  /** The smallest relative change reported (0.15: 15%). */
  minChange: number;
  /** The detector's expected run length between changes, in open days (augurs' hazard lambda). */
  hazardLambda: number;
}

/**
 * Defaults measured on 200 generated stores (56 days, 12% daily noise, Sundays closed; the unit
 * test): at lambda 50 a 30% fall 14 days before the newest day is found in all 200 and none of 200
 * unchanged stores is flagged; at 25, 7 of the 200 unchanged are; at 1,000 the detector splits
 * nearly every run.
 */
export const DEFAULT_LEVEL_SHIFT: LevelShiftSettings = {
  baselineDays: 24,
  recentDays: 21,
  minChange: 0.15,
  hazardLambda: 50,
};

let initialised = false;
function initChangepoint(): void {
  if (initialised) return;
  // Through the package (its exports map hides the .wasm), as prophet.server.ts does.
  const entry = createRequire(import.meta.url).resolve("@bsull/augurs/changepoint");
  initSync({ module: readFileSync(path.join(path.dirname(entry), "changepoint_bg.wasm")) });
  initialised = true;
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/**
 * The newest level shift in `days` (oldest first, any order of closed days), or null: none, too
 * small, too old, or too little history (fewer open days than the baseline plus a week).
 */
export function detectLevelShift(
  days: readonly SalesDay[],
  settings: LevelShiftSettings = DEFAULT_LEVEL_SHIFT,
): LevelShift | null {
  const open = days
    .filter((d) => d.open && d.sales > 0 && Number.isFinite(d.sales))
    .map((d) => ({ ...d, day: parseDay(d.date) }))
    .filter((d): d is SalesDay & { day: number } => d.day !== undefined)
    .sort((a, b) => a.day - b.day);
  if (open.length < settings.baselineDays + 7) return null;

  // The weekly pattern from the baseline: each weekday's mean over the baseline's mean.
  const baseline = open.slice(0, settings.baselineDays);
  const level = mean(baseline.map((d) => d.sales));
  const factor = new Map<number, number>();
  for (let w = 1; w <= 7; w++) {
    const same = baseline.filter((d) => isoWeekday(d.day) === w).map((d) => d.sales);
    if (same.length > 0) factor.set(w, mean(same) / level);
  }
  const adjusted = open.map((d) => d.sales / (factor.get(isoWeekday(d.day)) ?? 1));
  const base = adjusted.slice(0, settings.baselineDays);
  const baseMean = mean(base);
  const sd = Math.sqrt(mean(base.map((y) => (y - baseMean) ** 2))) || baseMean * 0.05 || 1;

  initChangepoint();
  const detector = ChangepointDetector.normalGamma({ hazardLambda: settings.hazardLambda });
  let indices: number[];
  try {
    indices = detector.detectChangepoints(adjusted.map((y) => (y - baseMean) / sd)).indices;
  } finally {
    detector.free();
  }
  const newest = open.at(-1)!.day;
  const cps = indices.filter((i) => i > 0 && i < open.length).sort((a, b) => a - b);
  const at = cps.at(-1);
  if (at === undefined || newest - open[at]!.day >= settings.recentDays) return null;
  const from = cps.at(-2) ?? 0;
  const before = mean(adjusted.slice(from, at));
  const after = mean(adjusted.slice(at));
  const change = after / before - 1;
  if (!Number.isFinite(change) || Math.abs(change) < settings.minChange) return null;
  return { day: open[at]!.date, before, after, change };
}
