import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDay } from "../../../app/days.js";
import { assertBatchPoints, BatchTooLargeError, batchPoints } from "../../../app/forecasting/budget.server.js";
import {
  assertInWindow,
  describeWindow,
  forecastWindowOf,
  OutOfWindowError,
  outsideWindow,
} from "../../../app/forecasting/forecast-window.js";

const first = parseDay("2026-07-10")!;
const newest = parseDay("2026-12-06")!;
const window = forecastWindowOf(first, newest, 730);

describe("the forecast window", () => {
  it("runs from the first sales day to 730 days after the newest, and says so", () => {
    expect(window.last).toBe(newest + 730);
    expect(describeWindow(window)).toBe(
      "2026-07-10 to 2028-12-05 (the first sales day to 730 days after the newest, 2026-12-06)",
    );
  });

  it("names the end that leaves it", () => {
    expect(outsideWindow(window, first, 365)).toBeNull();
    expect(outsideWindow(window, window.last, 1)).toBeNull();
    expect(outsideWindow(window, first - 1, 7)).toBe("begin");
    expect(outsideWindow(window, window.last + 1, 1)).toBe("begin");
    expect(outsideWindow(window, window.last - 3, 5)).toBe("end");
    // No days asked (the reference's end before begin): only begin counts.
    expect(outsideWindow(window, window.last, 0)).toBeNull();
  });

  it("throws a 400 naming the field and the window, under the caller's field names", () => {
    const err = (() => {
      try {
        assertInWindow(window, parseDay("9999-01-01")!, 7, { begin: "begin", end: "end" });
      } catch (e) {
        return e as OutOfWindowError;
      }
    })();
    expect(err).toBeInstanceOf(OutOfWindowError);
    expect(err!.status).toBe(400);
    expect(err!.message).toBe(
      "begin 9999-01-01 is outside the forecast window: 2026-07-10 to 2028-12-05 (the first sales day to 730 " +
        "days after the newest, 2026-12-06)",
    );
    expect(err!.details()).toEqual({
      field: "begin",
      window: { first: "2026-07-10", last: "2028-12-05" },
      horizonDays: 730,
    });
    expect(err!.renamed("begin_date").details().field).toBe("begin_date");
    expect(() => assertInWindow(null, parseDay("9999-01-01")!, 7)).not.toThrow();
  });

  it("accepts exactly the ranges inside it", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: first - 800, max: newest + 1600 }),
        fc.integer({ min: 1, max: 365 }),
        (from, days) => {
          const inside = from >= first && from + days - 1 <= window.last;
          expect(outsideWindow(window, from, days) === null).toBe(inside);
        },
      ),
    );
  });
});

describe("the batch points cap", () => {
  it("counts items x days and refuses more than the limit with a 413 naming it", () => {
    const seedBatch = Array.from({ length: 11_150 }, () => ({ days: 8 }));
    expect(batchPoints(seedBatch)).toBe(89_200);
    expect(() => assertBatchPoints(89_200, 100_000)).not.toThrow();
    expect(() => assertBatchPoints(100_000, 100_000)).not.toThrow();
    expect(() => assertBatchPoints(batchPoints(Array.from({ length: 15_500 }, () => ({ days: 365 }))))).toThrow(
      BatchTooLargeError,
    );
    const err = new BatchTooLargeError(5_657_500, 100_000);
    expect(err.status).toBe(413);
    expect(err.details()).toEqual({ field: "body", limit: 100_000, points: 5_657_500 });
    expect(batchPoints([{ days: 0 }, { days: 3 }])).toBe(3);
  });
});
