import { describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../../../app/days.js";
import { detectLevelShift, type SalesDay } from "../../../app/monitoring/level-shift.server.js";

// Monday first; Sunday closed, as most Rossmann stores are.
const WEEK = [1.2, 1.0, 0.95, 0.95, 1.05, 1.3, 0];
const START = parseDay("2026-10-05")!; // a Monday

/** 56 days of a store's sales with 12% noise (seeded), `factor` times the level from `shiftAt` on. */
function store(seed: number, shiftAt: number | null, factor: number, days = 56): SalesDay[] {
  let s = seed;
  const rnd = () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
  const noise = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  return Array.from({ length: days }, (_, d) => {
    const w = WEEK[d % 7]!;
    const level = shiftAt !== null && d >= shiftAt ? factor : 1;
    return {
      date: formatDay(START + d),
      open: w > 0,
      sales: w === 0 ? 0 : Math.round(5000 * w * level * (1 + 0.12 * noise())),
    };
  });
}

describe("level shifts in a store's sales", () => {
  it("finds a 30% fall two weeks before the newest day, near where it began", () => {
    const shift = detectLevelShift(store(7, 42, 0.7));
    expect(shift).not.toBeNull();
    expect(Math.abs(parseDay(shift!.day)! - (START + 42))).toBeLessThanOrEqual(3);
    expect(shift!.change).toBeGreaterThan(-0.4);
    expect(shift!.change).toBeLessThan(-0.2);
  });

  it("finds most injected shifts and few in unchanged stores (200 seeded stores each)", () => {
    let found = 0;
    let falsePositives = 0;
    for (let seed = 1; seed <= 200; seed++) {
      if (detectLevelShift(store(seed, 42, 0.7))) found++;
      if (detectLevelShift(store(seed + 1000, null, 1))) falsePositives++;
    }
    expect(found).toBeGreaterThanOrEqual(180);
    expect(falsePositives).toBeLessThanOrEqual(6);
  });

  it("ignores a rise too small, a shift older than the recent window, and too short a history", () => {
    expect(detectLevelShift(store(3, 42, 1.05))).toBeNull();
    expect(detectLevelShift(store(3, 10, 0.6))).toBeNull();
    expect(detectLevelShift(store(3, null, 1, 20))).toBeNull();
    expect(detectLevelShift([])).toBeNull();
  });

  it("skips closed days, zero or invalid sales and bad dates instead of failing", () => {
    const days = store(5, 42, 0.7);
    days.push({ date: "not-a-day", sales: 100, open: true }, { date: "2026-12-31", sales: Number.NaN, open: true });
    expect(detectLevelShift(days)?.change).toBeLessThan(-0.2);
  });
});
