import { describe, expect, it } from "vitest";
import { isoWeekday, parseDay } from "../../../app/days.js";
import type { SalesRow } from "../../../app/rossmann.js";
import { GenerateOptionsError } from "../../../app/sales/generator/options.js";
import { generateSales } from "../../../app/sales/generator/sales-model.js";
import {
  affectedStores,
  InjectionsError,
  injectionEvents,
  parseInjections,
  pickStores,
  SATURDAY_TO_MONDAY,
  type StoreEvent,
} from "../../../app/sales/generator/store-events.js";

const BASE = { stores: 6, products: 2, days: 60, endDate: "2025-06-30", seed: 11 };
const FROM = "2025-06-15";

const rows = (events?: StoreEvent[]) => [...generateSales({ ...BASE, ...(events ? { events } : {}) })];
const key = (r: SalesRow) => `${r.store}:${r.productname}:${r.date}`;

/** Each changed row's sales over the unchanged one's, for rows of `store` from FROM on (open days). */
function ratios(before: SalesRow[], after: SalesRow[], store: number) {
  const old = new Map(before.map((r) => [key(r), r]));
  return after
    .filter((r) => r.store === store && r.date >= FROM && r.open === 1)
    .map((r) => ({ r, ratio: r.sales / old.get(key(r))!.sales }));
}

describe("store events injected into generated sales", () => {
  const plain = rows();

  it("change nothing when there are none", () => {
    expect(rows([])).toEqual(plain);
  });

  it("a level shift scales one store's sales from its day on, and nothing else", () => {
    const shifted = rows([{ kind: "level", store: 3, from: FROM, factor: 0.7 }]);
    const old = new Map(plain.map((r) => [key(r), r]));
    for (const r of shifted) {
      if (r.store === 3 && r.date >= FROM) continue;
      expect(r).toEqual(old.get(key(r)));
    }
    const changed = ratios(plain, shifted, 3);
    expect(changed.length).toBeGreaterThan(10);
    // Sales are rounded to whole units: the ratio is the factor within rounding.
    for (const { ratio } of changed) expect(ratio).toBeCloseTo(0.7, 2);
  });

  it("a changed weekday pattern scales each weekday by its factor", () => {
    const factors = [1, 0.5, 1, 1, 1, 1, 1.5, 1];
    const changed = ratios(plain, rows([{ kind: "weekday", store: 2, from: FROM, factors }]), 2);
    for (const { r, ratio } of changed) expect(ratio).toBeCloseTo(factors[isoWeekday(parseDay(r.date)!)]!, 2);
    expect(changed.some(({ r }) => isoWeekday(parseDay(r.date)!) === 1)).toBe(true);
  });

  it("a promo that stops lifting: promo days lose the store's lift, other days stay", () => {
    const changed = ratios(plain, rows([{ kind: "promo-stops", store: 5, from: FROM }]), 5);
    const promo = changed.filter(({ r }) => r.promo === 1);
    const other = changed.filter(({ r }) => r.promo === 0);
    expect(promo.length).toBeGreaterThan(3);
    for (const { ratio } of other) expect(ratio).toBe(1);
    // The store's lift is about 1.25 (profiles.ts): promo days fall to about 1 / 1.25 of what they were.
    for (const { ratio } of promo) expect(ratio).toBeGreaterThan(0.65);
    for (const { ratio } of promo) expect(ratio).toBeLessThan(0.95);
  });

  it("refuses an event naming no generated store, a bad date or factor, naming the field", () => {
    const bad = (events: StoreEvent[]) => () => rows(events);
    expect(bad([{ kind: "level", store: 7, from: FROM, factor: 0.7 }])).toThrow(/events\[0\]\.store/);
    expect(bad([{ kind: "level", store: 1, from: "2025-02-30", factor: 0.7 }])).toThrow(/events\[0\]\.from/);
    expect(bad([{ kind: "level", store: 1, from: FROM, factor: 0 }])).toThrow(GenerateOptionsError);
    expect(bad([{ kind: "weekday", store: 1, from: FROM, factors: [1, 1] }])).toThrow(/factors/);
  });

  it("picks a share of the stores by seed: the same seed the same stores, at least one", () => {
    const a = pickStores(42, 1115, 0.05);
    expect(a).toHaveLength(56);
    expect(new Set(a).size).toBe(56);
    expect(a.every((s) => s >= 1 && s <= 1115)).toBe(true);
    expect(pickStores(42, 1115, 0.05)).toEqual(a);
    expect(pickStores(43, 1115, 0.05)).not.toEqual(a);
    expect(pickStores(1, 10, 0.001)).toHaveLength(1);
  });

  it("injections: chosen stores or a seeded share, each kind reported with the stores it changes", () => {
    const events = injectionEvents(
      [
        { kind: "level", factor: 0.7, stores: [2, 4], from: FROM },
        { kind: "weekday", factors: SATURDAY_TO_MONDAY, share: 0.5, seed: 3, from: FROM },
        { kind: "promo-stops", stores: [4], from: FROM },
      ],
      6,
    );
    expect(events.filter((e) => e.kind === "weekday").map((e) => e.store)).toEqual(pickStores(3, 6, 0.5));
    const truth = affectedStores(events);
    expect(truth.level).toEqual([2, 4]);
    expect(truth["promo-stops"]).toEqual([4]);
    expect(truth.weekday).toEqual(pickStores(3, 6, 0.5));
    expect(truth.all).toEqual([...new Set([2, 4, ...truth.weekday])].sort((a, b) => a - b));
    expect(injectionEvents([{ kind: "promo-stops", share: 0.5, seed: 3, from: FROM }], 6)).toEqual(
      injectionEvents([{ kind: "promo-stops", share: 0.5, seed: 3, from: FROM }], 6),
    );
  });

  it("Saturday to Monday: the affected stores' Saturdays fall and Mondays rise; the other stores are unchanged", () => {
    const events = injectionEvents([{ kind: "weekday", factors: SATURDAY_TO_MONDAY, stores: [1, 4], from: FROM }], 6);
    const moved = rows(events);
    const old = new Map(plain.map((r) => [key(r), r]));
    for (const r of moved) {
      if (affectedStores(events).all.includes(r.store) && r.date >= FROM) continue;
      expect(r).toEqual(old.get(key(r)));
    }
    for (const store of [1, 4]) {
      const changed = ratios(plain, moved, store);
      const on = (dow: number) => changed.filter(({ r }) => r.dayofweek === dow);
      expect(on(6).length).toBeGreaterThan(0);
      for (const { ratio } of on(6)) expect(ratio).toBeCloseTo(0.4, 2);
      for (const { ratio } of on(1)) expect(ratio).toBeCloseTo(1.45, 2);
      for (const { ratio } of on(3)) expect(ratio).toBe(1);
    }
  });

  it("reads injections from JSON (GENERATE_EVENTS), dates relative to today, naming a bad field", () => {
    const today = parseDay("2026-12-07")!;
    expect(
      parseInjections(
        JSON.stringify([
          { kind: "weekday", factors: "saturday-to-monday", share: 0.05, seed: 1, from: "today-14" },
          { kind: "level", factor: 0.7, stores: [3], from: "2026-12-01" },
          { kind: "promo-stops", stores: [4], from: "today+2" },
        ]),
        today,
      ),
    ).toEqual([
      { kind: "weekday", factors: SATURDAY_TO_MONDAY, share: 0.05, seed: 1, from: "2026-11-23" },
      { kind: "level", factor: 0.7, stores: [3], from: "2026-12-01" },
      { kind: "promo-stops", stores: [4], from: "2026-12-09" },
    ]);
    const bad = (v: unknown) => () => parseInjections(typeof v === "string" ? v : JSON.stringify(v), today);
    expect(bad("not json")).toThrow(InjectionsError);
    expect(bad({})).toThrow(/GENERATE_EVENTS: /);
    expect(bad([{ kind: "level", factor: 0, stores: [1], from: "today" }])).toThrow(/GENERATE_EVENTS\[0\]\["factor"\]/);
    expect(bad([{ kind: "level", factor: 0.5, from: "today" }])).toThrow(/either stores .* or share and seed/);
    expect(bad([{ kind: "weekday", factors: [1, 2], stores: [1], from: "today" }])).toThrow(/\["factors"\]/);
    expect(bad([{ kind: "level", factor: 0.5, stores: [1], from: "yesterday" }])).toThrow(/\["from"\]/);
    expect(bad([{ kind: "level", factor: 0.5, stores: [1], from: "2026-02-30" }])).toThrow(/\[0\]\.from: not a date/);
    expect(bad([{ kind: "meteor", stores: [1], from: "today" }])).toThrow(/\["kind"\]/);
  });
});
