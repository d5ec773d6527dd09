import { describe, expect, it } from "vitest";
import { dayOf, isoWeekday } from "../../../app/days.js";
import {
  explain,
  median,
  medianProfile,
  peerGroups,
  type StoreDay,
  tradedValues,
  weeklyProfiles,
} from "../../../app/monitoring/weekly-profile.js";

const MONDAY = dayOf(2026, 11, 2);
/** Four weeks of one store: sales by ISO weekday (0 = closed). */
function store(n: number, byWeekday: number[]): StoreDay[] {
  const out: StoreDay[] = [];
  for (let d = MONDAY; d < MONDAY + 28; d++) {
    const sales = byWeekday[isoWeekday(d) - 1]!;
    out.push({ store: n, day: d, sales, open: sales > 0 });
  }
  return out;
}

describe("weekly profiles", () => {
  it("are mean open-day sales per weekday over the mean of those means, whatever the store's size", () => {
    const [small, big] = weeklyProfiles([
      ...store(2, [200, 100, 100, 100, 100, 0, 0]),
      ...store(1, [20, 10, 10, 10, 10, 0, 0]),
    ]);
    expect(small!.store).toBe(1);
    expect(small!.profile).toEqual([2 / 1.2, 1 / 1.2, 1 / 1.2, 1 / 1.2, 1 / 1.2, null, null]);
    expect(big!.profile).toEqual(small!.profile);
    expect(small!.mask).toBe("1111100");
    expect(small!.openDays).toBe(20);
  });

  it("leave closed days out: a weekday closed once still averages its open days only", () => {
    const days = store(1, [10, 10, 10, 10, 10, 10, 0]);
    days[0] = { ...days[0]!, sales: 0, open: false }; // the first Monday: a holiday
    days[7] = { ...days[7]!, sales: 40 }; // the second Monday sold 40
    const [p] = weeklyProfiles(days);
    const mondayMean = (40 + 10 + 10) / 3;
    const level = (mondayMean + 50) / 6;
    expect(p!.profile[0]).toBeCloseTo(mondayMean / level, 12);
    expect(p!.mask).toBe("1111110");
  });

  it("skip stores with no open day or no sales", () => {
    expect(weeklyProfiles([...store(1, [0, 0, 0, 0, 0, 0, 0])])).toEqual([]);
    const zero = store(2, [1, 1, 1, 1, 1, 1, 1]).map((d) => ({ ...d, sales: 0 }));
    expect(weeklyProfiles(zero)).toEqual([]);
  });

  it("group peers by the weekdays they trade on, biggest group first", () => {
    const profiles = weeklyProfiles([
      ...store(1, [1, 1, 1, 1, 1, 1, 0]),
      ...store(2, [1, 1, 1, 1, 1, 1, 1]),
      ...store(3, [1, 1, 1, 1, 1, 2, 0]),
    ]);
    expect(peerGroups(profiles).map((g) => g.map((p) => p.store))).toEqual([[1, 3], [2]]);
    expect(tradedValues(profiles[0]!)).toHaveLength(6);
  });

  it("median and the peers' median profile", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNaN();
    const profiles = weeklyProfiles([
      ...store(1, [2, 1, 1, 1, 1, 0, 0]),
      ...store(2, [3, 1, 1, 1, 1, 0, 0]),
      ...store(3, [4, 1, 1, 1, 1, 0, 0]),
    ]);
    const m = medianProfile(profiles);
    expect(m[0]).toBeCloseTo(3 / 1.4, 12);
    expect(m.slice(5)).toEqual([null, null]);
  });

  it("explain names the most unusual weekday, and the one sales moved to", () => {
    const peers = [1.17, 1.02, 0.97, 0.97, 1.03, 0.84, null];
    const moved = [1.52, 1.02, 0.97, 0.97, 1.03, 0.45, null];
    expect(explain(moved, peers, [9, 0, 0, 0, 0, 12])).toBe(
      "Saturday 0.45 of its average (peers 0.84); Monday 1.52 (peers 1.17)",
    );
    const low = [1.17, 1.02, 0.97, 0.97, 1.03, 0.45, null];
    expect(explain(low, peers, [0, 0.2, 0, 0, 0.1, 12])).toBe("Saturday 0.45 of its average (peers 0.84)");
    expect(explain([null], [null], [])).toBe("no traded weekday to compare");
  });
});
