/**
 * The forecast's components (app/model/components.ts) in sentences a merchandiser reads: how much
 * a promo or a holiday changes a day's sales, which weekdays sell above or below the week's
 * average, where the trend is going. Computed from the numbers over the open days shown; a term
 * the model does not use (a regressor that never varied in the store's history) gets no sentence.
 * Pure: no I/O.
 */
import { isoWeekday } from "../days.js";
import type { DayComponents, Decomposition } from "../model/components.js";
import type { RegressorName } from "../model/config.js";
import { dayOf } from "../model/training-series.js";

export type ComponentName = "trend" | "weekly" | "yearly" | RegressorName;

export interface ComponentSentence {
  component: ComponentName;
  text: string;
}

const WEEKDAYS = ["Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays"];

/** How each regressor is named in a sentence. */
const WORDS: Record<RegressorName, { name: string; s: string; days: string; none: string; one: string }> = {
  promo: { name: "Promo", s: "s", days: "on promo days", none: "No promo this week", one: "a promo day" },
  schoolholiday: {
    name: "School holidays",
    s: "",
    days: "on school holiday days",
    none: "No school holiday this week",
    one: "a school holiday day",
  },
  stateholiday: {
    name: "A state holiday",
    s: "s",
    days: "on a state holiday",
    none: "No state holiday this week",
    one: "a state holiday",
  },
};

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A share as a whole percent; 0 when it rounds to less than 1%. */
const percent = (share: number): number => Math.round(Math.abs(share) * 100);

/** One sentence per term the model uses, in the order trend, weekly, yearly, regressors. */
export function componentSentences(d: Decomposition): ComponentSentence[] {
  const open = d.days.filter((day) => day.open);
  if (open.length === 0) return [];
  const average = mean(open.map((day) => day.yhat));
  // Percentages of a week that sells nothing mean nothing.
  if (!(average > 0)) return [];
  const out: ComponentSentence[] = [trendSentence(d.days, average)];
  if (d.weekly && open.length >= 2) out.push(weeklySentence(open, average));
  if (d.yearly) out.push(yearlySentence(open));
  for (const r of d.regressors) {
    const lift = d.lift[r];
    if (lift === undefined) continue;
    const s = regressorSentence(r, lift, open);
    if (s) out.push(s);
  }
  return out;
}

function trendSentence(days: readonly DayComponents[], average: number): ComponentSentence {
  const first = days[0]!.trend;
  const change = days.at(-1)!.trend - first;
  // Of the trend's own level; of the week's average sales when the level is not positive.
  const pct = percent(change / (first > 0 ? first : average));
  const text =
    pct === 0
      ? "The trend is flat over the week."
      : `The trend is ${change > 0 ? "up" : "down"} ${pct}% over the week.`;
  return { component: "trend", text };
}

function weeklySentence(open: readonly DayComponents[], average: number): ComponentSentence {
  const centre = mean(open.map((day) => day.weekly));
  const byDay = open.map((day) => ({
    name: WEEKDAYS[isoWeekday(dayOf(day.date)) - 1]!,
    share: (day.weekly - centre) / average,
  }));
  const high = byDay.reduce((a, b) => (b.share > a.share ? b : a));
  const low = byDay.reduce((a, b) => (b.share < a.share ? b : a));
  const [up, down] = [percent(high.share), percent(low.share)];
  const avg = "the week's average";
  const text =
    up > 0 && down > 0
      ? `${high.name} sell about ${up}% above ${avg}, ${low.name} about ${down}% below.`
      : up > 0
        ? `${high.name} sell about ${up}% above ${avg}.`
        : down > 0
          ? `${low.name} sell about ${down}% below ${avg}.`
          : "The day of the week makes little difference (under 1%).";
  return { component: "weekly", text };
}

function yearlySentence(open: readonly DayComponents[]): ComponentSentence {
  const effect = mean(open.map((day) => day.yearly ?? 0));
  const without = mean(open.map((day) => day.yhat - (day.yearly ?? 0)));
  const pct = without > 0 ? percent(effect / without) : 0;
  const text =
    pct === 0
      ? "The time of year makes little difference this week (under 1%)."
      : effect > 0
        ? `The time of year adds about ${pct}% this week.`
        : `The time of year takes about ${pct}% off this week.`;
  return { component: "yearly", text };
}

/**
 * A regressor's lift as a share of what its days would sell without it: the days it is on this
 * week, or every open day when it is on none (what one such day would gain).
 */
function regressorSentence(r: RegressorName, lift: number, open: readonly DayComponents[]): ComponentSentence | null {
  const onDays = open.filter((day) => day.on[r]);
  const base = mean((onDays.length > 0 ? onDays : open).map((day) => day.yhat - (day.on[r] ? lift : 0)));
  if (!(base > 0)) return null;
  const pct = percent(lift / base);
  const w = WORDS[r];
  let text: string;
  if (pct === 0) text = `${w.name} make${w.s} little difference (under 1%).`;
  else if (onDays.length === 0) {
    text = `${w.none}; ${w.one} would ${lift > 0 ? "add" : "take"} about ${pct}%${lift > 0 ? "" : " off"}.`;
  } else {
    const count = onDays.length === 1 ? "1 day this week" : `${onDays.length} days this week`;
    text =
      lift > 0
        ? `${w.name} add${w.s} about ${pct}% ${w.days} (${count}).`
        : `${w.name} take${w.s} about ${pct}% off ${w.days} (${count}).`;
  }
  return { component: r, text };
}
