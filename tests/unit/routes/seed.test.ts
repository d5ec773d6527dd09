import { describe, expect, it } from "vitest";
import { parseDay } from "../../../app/days.js";
import { forecastWindowOf } from "../../../app/forecasting/forecast-window.js";
import { parseSeedForecastBody } from "../../../app/routes/_seed+/forecast-request.server.js";
import {
  parseSeedDate,
  SeedValidationError,
  seedRange,
  seedRangeDays,
  seedRangeTimestamps,
} from "../../../app/routes/_seed+/seed.server.js";

const today = parseDay("2025-06-10")!;
const DAY = 86_400;
const at = (iso: string) => Date.parse(iso) / 1000;

/** The issues a body is refused with (fails the test when it is accepted). */
function issues(body: unknown) {
  try {
    parseSeedForecastBody(body, today);
  } catch (err) {
    expect(err).toBeInstanceOf(SeedValidationError);
    return (err as SeedValidationError).detail;
  }
  throw new Error("accepted");
}

describe("the reference's forecast index (pandas date_range, both ends included)", () => {
  it("defaults to today 00:00 UTC through 7 days later: 8 days", () => {
    const range = seedRange(null, null, today);
    expect(range).toEqual({ begin: today * DAY, count: 8 });
    expect(seedRangeTimestamps(range)[0]).toBe("2025-06-10T00:00:00");
    expect(seedRangeTimestamps(range).at(-1)).toBe("2025-06-17T00:00:00");
  });

  it("counts both ends: a week asked as begin..begin+7 days is 8 points, begin == end is 1, end < begin none", () => {
    const begin = at("2025-06-01T00:00:00Z");
    expect(seedRange(begin, begin + 7 * DAY).count).toBe(8);
    expect(seedRange(begin, begin + 13 * DAY).count).toBe(14);
    expect(seedRange(begin, begin).count).toBe(1);
    expect(seedRange(begin, begin - DAY).count).toBe(0);
    expect(seedRange(begin, null).count).toBe(8);
  });

  it("keeps begin's time of day in the timestamps; an end before the next instant does not count", () => {
    const range = seedRange(at("2025-06-01T12:30:00Z"), at("2025-06-03T12:00:00Z"));
    expect(seedRangeTimestamps(range)).toEqual(["2025-06-01T12:30:00", "2025-06-02T12:30:00"]);
    expect(seedRangeDays(range)).toEqual({ fromDay: parseDay("2025-06-01"), days: 2 });
  });
});

describe("the reference's date format (strptime %Y-%m-%dT%H:%M:%SZ)", () => {
  it("reads it, as UTC seconds", () => {
    expect(parseSeedDate("2025-06-01T00:00:00Z")).toBe(at("2025-06-01T00:00:00Z"));
    expect(parseSeedDate("2025-06-01T23:59:59Z")).toBe(at("2025-06-01T23:59:59Z"));
  });

  it("refuses anything else with Python's words", () => {
    expect(parseSeedDate("2025-06-01")).toBe("time data '2025-06-01' does not match format '%Y-%m-%dT%H:%M:%SZ'");
    expect(parseSeedDate("2025-06-01T00:00:00+02:00")).toMatch(/does not match format/);
    expect(parseSeedDate("2025-06-01T24:00:00Z")).toMatch(/does not match format/);
    expect(parseSeedDate("2025-02-30T00:00:00Z")).toBe("day is out of range for month");
  });
});

describe("the reference's forecast request (pydantic v1)", () => {
  it("takes a number as its string, keeps omitted dates null, ignores other keys", () => {
    const [job] = parseSeedForecastBody([{ store_id: 262, product_name: "product_A", extra: 1 }], today);
    expect(job!.request).toEqual({ store_id: "262", product_name: "product_A", begin_date: null, end_date: null });
    expect(job!.store).toBe(262);
    expect(job!.range.count).toBe(8);
  });

  it("names no store for ids no model can have", () => {
    const stores = ["abc", "007", "0", "99999999999", "-3", ""].map(
      (id) => parseSeedForecastBody([{ store_id: id, product_name: "p" }], today)[0]!.store,
    );
    expect(stores).toEqual([null, null, null, null, null, null]);
  });

  it("accepts an empty list", () => {
    expect(parseSeedForecastBody([], today)).toEqual([]);
  });

  it("reports every problem of every item as FastAPI did", () => {
    expect(
      issues([
        { product_name: "p" },
        { store_id: null, product_name: { a: 1 } },
        "x",
        { store_id: 1, product_name: "p", begin_date: "2025-06-01" },
      ]),
    ).toEqual([
      { loc: ["body", 0, "store_id"], msg: "field required", type: "value_error.missing" },
      { loc: ["body", 1, "store_id"], msg: "none is not an allowed value", type: "type_error.none.not_allowed" },
      { loc: ["body", 1, "product_name"], msg: "str type expected", type: "type_error.str" },
      { loc: ["body", 2], msg: "value is not a valid dict", type: "type_error.dict" },
    ]);
    expect(issues([{ store_id: 1, product_name: "p", begin_date: "2025-06-01" }])).toEqual([
      {
        loc: ["body", 0, "begin_date"],
        msg: "time data '2025-06-01' does not match format '%Y-%m-%dT%H:%M:%SZ'",
        type: "value_error",
      },
    ]);
  });

  it("refuses a body that is no list, or none", () => {
    expect(issues({ store_id: 1 })).toEqual([
      { loc: ["body"], msg: "value is not a valid list", type: "type_error.list" },
    ]);
    expect(issues(undefined)).toEqual([{ loc: ["body"], msg: "field required", type: "value_error.missing" }]);
  });

  it("refuses more than a year of days for one item, naming end_date", () => {
    const item = (end: string) => ({
      store_id: 1,
      product_name: "p",
      begin_date: "2025-01-01T00:00:00Z",
      end_date: end,
    });
    expect(parseSeedForecastBody([item("2025-12-31T00:00:00Z")], today)[0]!.range.count).toBe(365);
    expect(issues([item("2026-01-01T00:00:00Z")])[0]).toMatchObject({
      loc: ["body", 0, "end_date"],
      type: "value_error",
    });
  });
});

describe("product names Postgres cannot hold", () => {
  it("refuses a NUL in product_name, naming the item's field (a 500 from the database before)", () => {
    expect(
      issues([
        { store_id: 1, product_name: "p" },
        { store_id: 1, product_name: "product_A\u0000" },
      ]),
    ).toEqual([{ loc: ["body", 1, "product_name"], msg: "must not contain a NUL character", type: "value_error" }]);
  });
});

describe("the forecast window, as the reference route reports it", () => {
  // Sales from 2025-01-01 to 2025-06-09: forecasts may reach 2027-06-09.
  const window = forecastWindowOf(parseDay("2025-01-01")!, parseDay("2025-06-09")!, 730);
  const item = (begin: string | null, end: string | null = null) => ({
    store_id: 1,
    product_name: "p",
    begin_date: begin,
    end_date: end,
  });
  const refused = (body: unknown) => {
    try {
      parseSeedForecastBody(body, today, window);
    } catch (err) {
      expect(err).toBeInstanceOf(SeedValidationError);
      return (err as SeedValidationError).detail;
    }
    throw new Error("accepted");
  };

  it("refuses year 9999 as a 422 on the field, its message and ctx giving the window", () => {
    expect(refused([item("9999-01-01T00:00:00Z")])).toEqual([
      {
        loc: ["body", 0, "begin_date"],
        msg:
          "begin_date 9999-01-01 is outside the forecast window: 2025-01-01 to 2027-06-09 (the first sales " +
          "day to 730 days after the newest, 2025-06-09)",
        type: "value_error",
        ctx: { window_first: "2025-01-01", window_last: "2027-06-09" },
      },
    ]);
  });

  it("names end_date when only the end leaves it, and every item at fault at once", () => {
    const detail = refused([
      item("2027-06-05T00:00:00Z"),
      item("2027-06-01T00:00:00Z", "2027-06-09T23:00:00Z"),
      item("2024-12-31T00:00:00Z", "2025-01-03T00:00:00Z"),
      item("2025-02-30T00:00:00Z"),
    ]);
    expect(detail.map((d) => d.loc)).toEqual([
      ["body", 0, "end_date"],
      ["body", 2, "begin_date"],
      ["body", 3, "begin_date"],
    ]);
    // A date that does not exist is that issue only, not a window issue too.
    expect(detail[2]!.msg).toBe("day is out of range for month");
  });

  it("accepts its edges, the default (today) and an end before begin past it (no days asked)", () => {
    expect(
      parseSeedForecastBody(
        [
          item("2025-01-01T00:00:00Z", "2025-01-01T00:00:00Z"),
          item("2027-06-02T00:00:00Z", "2027-06-09T00:00:00Z"),
          item(null),
          item("2027-06-09T00:00:00Z", "2020-01-01T00:00:00Z"),
        ],
        today,
        window,
      ).map((j) => j.range.count),
    ).toEqual([1, 8, 8, 0]);
  });
});
