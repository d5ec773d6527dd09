import { describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay, todayDay } from "../../app/days.js";
import { isoDayOfWeek } from "../../app/rossmann.js";

describe("day numbers", () => {
  it("round-trips real dates", () => {
    for (const d of ["1970-01-01", "2015-07-31", "2016-02-29", "2026-12-31"]) expect(formatDay(parseDay(d)!)).toBe(d);
    expect(parseDay("1970-01-02")).toBe(1);
  });

  it("rejects impossible and malformed dates instead of rolling them over", () => {
    for (const d of ["2015-02-30", "2015-13-01", "2015-02-29", "2015-7-31", "31.07.2015", "", "2015-07-31T00:00"]) {
      expect(parseDay(d)).toBeUndefined();
    }
  });

  it("gives Kaggle's ISO weekday, Monday 1 to Sunday 7", () => {
    expect(isoWeekday(parseDay("2015-07-31")!)).toBe(5); // a Friday, as in Kaggle's train.csv
    expect(isoDayOfWeek("2015-08-02")).toBe(7);
    expect(isoDayOfWeek("2015-08-03")).toBe(1);
    expect(isoWeekday(-1)).toBe(3); // 1969-12-31, a Wednesday
  });

  it("knows today in UTC", () => {
    expect(formatDay(todayDay(Date.parse("2026-11-26T23:59:59Z")))).toBe("2026-11-26");
  });
});
