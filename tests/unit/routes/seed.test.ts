import { describe, expect, it } from "vitest";
import { parseDay } from "../../../app/days.js";
import { ValidationError } from "../../../app/errors.js";
import { seedForecastBody } from "../../../app/routes/_seed+/contract.server.js";
import { mapBounded, seedDay, seedRange } from "../../../app/routes/_seed+/seed.server.js";

describe("reference forecast requests", () => {
  const today = parseDay("2025-06-10")!;

  it("defaults to 7 days from today, end exclusive", () => {
    const [item] = seedForecastBody.parse([{ store_id: "1", product_name: "product_A" }]);
    expect(seedRange(item!, 0, today)).toEqual({ fromDay: today, endDay: today + 7, days: 7 });
    const [explicit] = seedForecastBody.parse([
      { store_id: 1, product_name: "p", begin_date: "2025-06-01T00:00:00Z", end_date: "2025-06-08T00:00:00Z" },
    ]);
    expect(seedRange(explicit!, 0, today).days).toBe(7);
  });

  it("refuses an empty, reversed or too long range, naming the item's field", () => {
    const item = (begin_date: string, end_date: string) => ({ store_id: 1, product_name: "p", begin_date, end_date });
    expect(() => seedRange(item("2025-06-08T00:00:00Z", "2025-06-08T00:00:00Z"), 2)).toThrow(/end_date/);
    expect(() => seedRange(item("2025-06-09T00:00:00Z", "2025-06-01T00:00:00Z"), 0)).toThrow(ValidationError);
    expect(() => seedRange(item("2025-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), 0)).toThrow(/365/);
    expect(seedRange(item("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), 0).days).toBe(365);
  });

  it("reads the reference date format, moving offsets to UTC", () => {
    expect(seedDay("2025-06-01T00:00:00Z", "f")).toBe(parseDay("2025-06-01"));
    expect(seedDay("2025-06-01", "f")).toBe(parseDay("2025-06-01"));
    expect(seedDay("2025-06-01T23:30:00Z", "f")).toBe(parseDay("2025-06-01"));
    expect(seedDay("2025-06-01T01:00:00+02:00", "f")).toBe(parseDay("2025-05-31"));
    expect(() => seedDay("2025-02-30T00:00:00Z", "f")).toThrow(ValidationError);
  });
});

describe("mapBounded", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([...Array(20).keys()], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return n * 2;
    });
    expect(out).toEqual([...Array(20).keys()].map((n) => n * 2));
    expect(peak).toBe(3);
  });

  it("rejects with the first error and starts nothing more", async () => {
    let started = 0;
    await expect(
      mapBounded([...Array(50).keys()], 2, async (n) => {
        started++;
        await new Promise((r) => setTimeout(r, 1));
        if (n === 3) throw new Error("boom");
        return n;
      }),
    ).rejects.toThrow("boom");
    expect(started).toBeLessThan(10);
  });
});
