/**
 * Normalized weekly sales profiles, the shape the daily anomaly scan compares between stores: per ISO
 * weekday, a store's mean sales on its open days over a recent window, divided by the mean of those
 * weekday means. A profile says how a store's week is shaped, not how much it sells, so stores of any
 * size compare. Pure: no I/O.
 */
import { isoWeekday } from "../days.js";

/** One store's sales on one day (every product summed); `day` is days since 1970-01-01. */
export interface StoreDay {
  store: number;
  day: number;
  sales: number;
  open: boolean;
}

export interface WeeklyProfile {
  store: number;
  /** Index 0 = Monday ... 6 = Sunday; null for a weekday without an open day in the window. */
  profile: (number | null)[];
  /** Which weekdays the store traded on in the window, e.g. "1111110" (closed on Sundays). */
  mask: string;
  openDays: number;
}

export const WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"] as const;

/**
 * The profile of each store with at least one open day (and some sales) in `days`, by store number.
 * The days may come in any order; days outside the window must be left out by the caller.
 */
export function weeklyProfiles(days: Iterable<StoreDay>): WeeklyProfile[] {
  const sums = new Map<number, { sum: number[]; n: number[] }>();
  for (const d of days) {
    if (!d.open) continue;
    let s = sums.get(d.store);
    if (!s) {
      s = { sum: new Array(7).fill(0), n: new Array(7).fill(0) };
      sums.set(d.store, s);
    }
    const w = isoWeekday(d.day) - 1;
    s.sum[w]! += d.sales;
    s.n[w]! += 1;
  }
  const out: WeeklyProfile[] = [];
  for (const [store, { sum, n }] of sums) {
    const means = sum.map((v, w) => (n[w]! > 0 ? v / n[w]! : null));
    const present = means.filter((m): m is number => m !== null);
    const level = present.reduce((a, b) => a + b, 0) / present.length;
    // A store open but selling nothing has no shape to compare.
    if (!(level > 0)) continue;
    out.push({
      store,
      profile: means.map((m) => (m === null ? null : m / level)),
      mask: means.map((m) => (m === null ? "0" : "1")).join(""),
      openDays: n.reduce((a, b) => a + b, 0),
    });
  }
  return out.sort((a, b) => a.store - b.store);
}

/**
 * Stores grouped by the weekdays they traded on: only stores open on the same days are peers (a
 * Sunday-trading store is not odd for selling on Sundays). Groups in descending size.
 */
export function peerGroups(profiles: readonly WeeklyProfile[]): WeeklyProfile[][] {
  const groups = new Map<string, WeeklyProfile[]>();
  for (const p of profiles) {
    const g = groups.get(p.mask) ?? [];
    g.push(p);
    groups.set(p.mask, g);
  }
  return [...groups.values()].sort((a, b) => b.length - a.length || a[0]!.mask.localeCompare(b[0]!.mask));
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The peers' median profile, weekday by weekday (null where the group does not trade). */
export function medianProfile(group: readonly WeeklyProfile[]): (number | null)[] {
  return Array.from({ length: 7 }, (_, w) => {
    const values = group.map((p) => p.profile[w]).filter((v): v is number => v != null);
    return values.length > 0 ? median(values) : null;
  });
}

/** The traded weekdays' values, in weekday order: what the outlier detector compares. */
export function tradedValues(p: WeeklyProfile): number[] {
  return p.profile.filter((v): v is number => v !== null);
}

const fmt = (v: number) => v.toFixed(2);

/**
 * Why a store was flagged, for people: its most unusual weekday against the peers' median, and the
 * next one when it moved the other way (sales moved from one day to another), e.g.
 * "Saturday 0.45 of its average (peers 0.84); Monday 1.52 (peers 1.17)".
 */
export function explain(
  profile: readonly (number | null)[],
  peers: readonly (number | null)[],
  scores: readonly number[],
): string {
  const days = profile
    .map((v, w) => ({ w, v, peer: peers[w] }))
    .filter((d): d is { w: number; v: number; peer: number } => d.v !== null && d.peer != null);
  const ranked = days.map((d, i) => ({ ...d, score: scores[i] ?? 0 })).sort((a, b) => b.score - a.score);
  const [first, second] = ranked;
  if (!first) return "no traded weekday to compare";
  const part = (d: { w: number; v: number; peer: number }, lead: boolean) =>
    `${WEEKDAY_NAMES[d.w]} ${fmt(d.v)}${lead ? " of its average" : ""} (peers ${fmt(d.peer)})`;
  const opposite = second !== undefined && (second.v - second.peer) * (first.v - first.peer) < 0;
  return opposite ? `${part(first, true)}; ${part(second, false)}` : part(first, true);
}
