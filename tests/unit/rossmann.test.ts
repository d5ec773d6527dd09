import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseDay } from "../../app/days.js";
import {
  calendarCsvRow,
  formatIssues,
  MAX_INT32,
  rossmannFields,
  STATE_HOLIDAYS,
  salesCsvRow,
  showValue,
  storeCsvRow,
} from "../../app/rossmann.js";

type Schema = z.ZodType;

/** The parsed value, or throws naming the input. */
function ok(schema: Schema, input: unknown): unknown {
  const r = schema.safeParse(input);
  if (!r.success) throw new Error(`${showValue(input)} was refused: ${formatIssues(r.error)}`);
  return r.data;
}

/** The reason for refusing `input` (fails the test when it was accepted). */
function refused(schema: Schema, input: unknown): string {
  const r = schema.safeParse(input);
  if (r.success) throw new Error(`${showValue(input)} was accepted as ${showValue(r.data)}`);
  return formatIssues(r.error);
}

/** The field's message alone: formatIssues says "row: ..." when the issue has no path. */
const reason = (schema: Schema, input: unknown) => refused(schema, input).replace(/^row: /, "");

describe("rossmannFields: the same rules for CSV text and JSON numbers", () => {
  const { store, sales, customers, date, open, promo, schoolholiday, stateholiday, productname } = rossmannFields;

  describe.each([
    ["sales", sales],
    ["customers", customers],
  ])("%s: a non-negative integer", (_name, field) => {
    it("accepts text and numbers, trimming text", () => {
      for (const [input, value] of [
        ["5263", 5263],
        ["0", 0],
        [" 42 ", 42],
        ["007", 7],
        [String(MAX_INT32), MAX_INT32],
        [5263, 5263],
        [0, 0],
        [MAX_INT32, MAX_INT32],
      ] as const) {
        expect(ok(field, input)).toBe(value);
      }
    });

    it("refuses what is not a number", () => {
      expect(reason(field, "12a")).toBe('expected a non-negative integer, got "12a"');
      expect(reason(field, "1e3")).toBe('expected a non-negative integer, got "1e3"');
      expect(reason(field, "0x10")).toBe('expected a non-negative integer, got "0x10"');
      expect(reason(field, true)).toBe("expected a non-negative integer, got true");
      expect(reason(field, [1])).toBe("expected a non-negative integer, got an array");
    });

    it("refuses negative numbers, as text and as numbers", () => {
      expect(reason(field, "-5")).toBe("must not be negative, got -5");
      expect(reason(field, -5)).toBe("must not be negative, got -5");
      expect(reason(field, "-3.5")).toBe("must not be negative, got -3.5");
    });

    it("refuses fractions, as text and as numbers", () => {
      expect(reason(field, "3.5")).toBe("expected a non-negative integer, got 3.5");
      expect(reason(field, 3.5)).toBe("expected a non-negative integer, got 3.5");
    });

    it("refuses values above 2^31-1 (a Postgres int)", () => {
      expect(reason(field, "2147483648")).toBe("too large (2147483648 > 2147483647)");
      expect(reason(field, 2 ** 31)).toBe("too large (2147483648 > 2147483647)");
      expect(reason(field, 1e300)).toMatch(/^too large \(1e\+300 > 2147483647\)$/);
      // Too long to be a number at all: still refused, with the text shown (cut short).
      expect(reason(field, "9".repeat(400))).toMatch(/^expected a non-negative integer, got "9{40}\.\.\."$/);
    });

    it("calls blank and absent values missing", () => {
      for (const input of ["", "   ", undefined, null]) expect(reason(field, input)).toBe("missing");
    });
  });

  describe("store: a positive integer", () => {
    it("accepts 1 and up, as text and as numbers", () => {
      expect(ok(store, "1")).toBe(1);
      expect(ok(store, "1115")).toBe(1115);
      expect(ok(store, 1115)).toBe(1115);
    });

    it("refuses 0, negatives, fractions, text and blanks", () => {
      expect(reason(store, "0")).toBe("expected a positive integer, got 0");
      expect(reason(store, 0)).toBe("expected a positive integer, got 0");
      expect(reason(store, "-1")).toBe("must not be negative, got -1");
      expect(reason(store, 1.5)).toBe("expected a positive integer, got 1.5");
      expect(reason(store, "store 1")).toBe('expected a positive integer, got "store 1"');
      expect(reason(store, "")).toBe("missing");
    });
  });

  describe("date: a real calendar date YYYY-MM-DD, as a day number", () => {
    it("accepts real dates, trimmed", () => {
      expect(ok(date, "2015-07-31")).toBe(parseDay("2015-07-31"));
      expect(ok(date, " 2016-02-29 ")).toBe(parseDay("2016-02-29"));
      // A second parse of the same text (remembered) gives the same day.
      expect(ok(date, "2015-07-31")).toBe(parseDay("2015-07-31"));
    });

    it("refuses dates that do not exist", () => {
      expect(reason(date, "2015-02-30")).toBe('not a real date "2015-02-30"');
      expect(reason(date, "2015-13-01")).toBe('not a real date "2015-13-01"');
      expect(reason(date, "2015-02-29")).toBe('not a real date "2015-02-29"');
      expect(reason(date, "2015-00-10")).toBe('not a real date "2015-00-10"');
    });

    it("refuses other formats, numbers and blanks", () => {
      expect(reason(date, "31.07.2015")).toBe('expected YYYY-MM-DD, got "31.07.2015"');
      expect(reason(date, "2015-7-31")).toBe('expected YYYY-MM-DD, got "2015-7-31"');
      expect(reason(date, "2015-07-31T00:00")).toBe('expected YYYY-MM-DD, got "2015-07-31T00:00"');
      expect(reason(date, 20150731)).toBe("expected YYYY-MM-DD, got 20150731");
      for (const input of ["", " ", undefined, null]) expect(reason(date, input)).toBe("missing");
    });
  });

  describe.each([
    ["open", open],
    ["promo", promo],
    ["schoolholiday", schoolholiday],
  ])("%s: 0 or 1", (_name, field) => {
    it("accepts 0 and 1 as text and as numbers", () => {
      expect(ok(field, "0")).toBe(0);
      expect(ok(field, "1")).toBe(1);
      expect(ok(field, " 1 ")).toBe(1);
      expect(ok(field, 0)).toBe(0);
      expect(ok(field, 1)).toBe(1);
    });

    it("refuses anything else, showing text quoted and numbers as numbers", () => {
      expect(reason(field, "2")).toBe('expected 0 or 1, got "2"');
      expect(reason(field, "-1")).toBe('expected 0 or 1, got "-1"');
      expect(reason(field, "yes")).toBe('expected 0 or 1, got "yes"');
      expect(reason(field, "1.0")).toBe('expected 0 or 1, got "1.0"');
      expect(reason(field, 2)).toBe("expected 0 or 1, got 2");
      expect(reason(field, true)).toBe("expected 0 or 1, got true");
      for (const input of ["", undefined, null]) expect(reason(field, input)).toBe("missing");
    });
  });

  describe("plannedOpen: test.csv's Open, blank meaning open", () => {
    it("reads blank and absent as 1, otherwise like open", () => {
      for (const input of ["", "  ", undefined, null]) expect(ok(rossmannFields.plannedOpen, input)).toBe(1);
      expect(ok(rossmannFields.plannedOpen, "0")).toBe(0);
      expect(ok(rossmannFields.plannedOpen, 0)).toBe(0);
      expect(reason(rossmannFields.plannedOpen, "7")).toBe('expected 0 or 1, got "7"');
    });
  });

  describe("stateholiday: 0, a, b or c", () => {
    it('accepts Kaggle\'s mix of 0 and "0" (the number too, for JSON), and the letters in either case', () => {
      for (const h of STATE_HOLIDAYS) expect(ok(stateholiday, h)).toBe(h);
      expect(ok(stateholiday, 0)).toBe("0");
      expect(ok(stateholiday, " a ")).toBe("a");
      expect(ok(stateholiday, "B")).toBe("b");
    });

    it("refuses anything else", () => {
      expect(reason(stateholiday, "x")).toBe('expected one of 0, a, b, c, got "x"');
      expect(reason(stateholiday, "d")).toBe('expected one of 0, a, b, c, got "d"');
      expect(reason(stateholiday, 1)).toBe("expected one of 0, a, b, c, got 1");
      expect(reason(stateholiday, "")).toBe("missing");
      expect(reason(stateholiday, undefined)).toBe("missing");
    });
  });

  describe("productname: non-empty, at most 100 characters", () => {
    it("accepts names up to 100 characters, trimmed", () => {
      expect(ok(productname, "product_A")).toBe("product_A");
      expect(ok(productname, " product, quoted ")).toBe("product, quoted");
      expect(ok(productname, "x".repeat(100))).toBe("x".repeat(100));
    });

    it("refuses blanks, longer names and non-text", () => {
      for (const input of ["", "   ", undefined]) expect(reason(productname, input)).toBe("missing");
      expect(reason(productname, "x".repeat(101))).toBe(`longer than 100 characters (101), got "${"x".repeat(40)}..."`);
      expect(reason(productname, 5)).toBe("expected a product name, got 5");
    });
  });

  describe("store_type and assortment: one letter, or unknown", () => {
    it("accepts one letter; blank, null or absent is null", () => {
      expect(ok(rossmannFields.store_type, "a")).toBe("a");
      expect(ok(rossmannFields.assortment, " c ")).toBe("c");
      for (const input of ["", " ", undefined, null]) expect(ok(rossmannFields.store_type, input)).toBeNull();
    });

    it("refuses more than one letter and non-text", () => {
      expect(reason(rossmannFields.store_type, "cc")).toBe('expected one letter, got "cc"');
      expect(reason(rossmannFields.assortment, 5)).toBe("expected one letter, got 5");
    });
  });

  it("works inside a JSON record object, naming the failing keys", () => {
    const streamRecord = z.object({
      store: rossmannFields.store,
      date: rossmannFields.date,
      sales: rossmannFields.sales,
      stateholiday: rossmannFields.stateholiday,
    });
    expect(ok(streamRecord, { store: 1, date: "2015-07-31", sales: 5263, stateholiday: 0 })).toEqual({
      store: 1,
      date: parseDay("2015-07-31"),
      sales: 5263,
      stateholiday: "0",
    });
    expect(refused(streamRecord, { store: 1, date: "2015-07-31", sales: "12a", stateholiday: "0" })).toBe(
      'sales: expected a non-negative integer, got "12a"',
    );
    expect(refused(streamRecord, { store: -1, sales: 5 })).toBe(
      "store: must not be negative, got -1; date: missing; stateholiday: missing",
    );
  });
});

/** A train.csv line as the loader hands it over: every value a string. */
const SALES_LINE = {
  Store: "1",
  Date: "2015-07-31",
  Sales: "5263",
  Customers: "555",
  Open: "1",
  Promo: "1",
  StateHoliday: "0",
  SchoolHoliday: "1",
};

// The loader parses with the compiled schemas: hold both to the same answers.
describe.each([
  ["interpreted", { sales: salesCsvRow, calendar: calendarCsvRow, store: storeCsvRow }],
  ["compiled", { sales: z.compile(salesCsvRow), calendar: z.compile(calendarCsvRow), store: z.compile(storeCsvRow) }],
])("CSV row schemas (%s)", (_mode, schemas) => {
  it("parses a train.csv line by Kaggle's column names", () => {
    expect(ok(schemas.sales, SALES_LINE)).toEqual({
      Store: 1,
      Date: parseDay("2015-07-31"),
      Sales: 5263,
      Customers: 555,
      Open: 1,
      Promo: 1,
      StateHoliday: "0",
      SchoolHoliday: 1,
    });
  });

  it("reads ProductName when present, never blank", () => {
    expect(ok(schemas.sales, { ...SALES_LINE, ProductName: "product_B" })).toMatchObject({ ProductName: "product_B" });
    expect((ok(schemas.sales, { ...SALES_LINE, ProductName: undefined }) as { ProductName?: string }).ProductName).toBe(
      undefined,
    );
    expect(refused(schemas.sales, { ...SALES_LINE, ProductName: "" })).toBe("ProductName: missing");
  });

  it("lists every failing column once, in column order, with the value", () => {
    const line = { ...SALES_LINE, Date: "2015-02-30", Sales: "12a", Open: "7" };
    expect(refused(schemas.sales, line)).toBe(
      'Date: not a real date "2015-02-30"; Sales: expected a non-negative integer, got "12a"; Open: expected 0 or 1, got "7"',
    );
    expect(refused(schemas.sales, { ...SALES_LINE, Store: "" })).toBe("Store: missing");
  });

  it("names every missing column of an empty record", () => {
    expect(refused(schemas.sales, {})).toBe(
      [
        "Store: missing",
        "Date: missing",
        "Sales: missing",
        "Customers: missing",
        "Open: missing",
        "Promo: missing",
        "StateHoliday: missing",
        "SchoolHoliday: missing",
      ].join("; "),
    );
  });

  it("parses a test.csv line, an empty Open meaning open", () => {
    const line = { Store: "1", Date: "2015-08-02", Open: "", Promo: "0", StateHoliday: "a", SchoolHoliday: "1" };
    expect(ok(schemas.calendar, line)).toEqual({
      Store: 1,
      Date: parseDay("2015-08-02"),
      Open: 1,
      Promo: 0,
      StateHoliday: "a",
      SchoolHoliday: 1,
    });
    expect(refused(schemas.calendar, { ...line, Promo: "2" })).toBe('Promo: expected 0 or 1, got "2"');
  });

  it("parses a store.csv line; blank or absent letters are null", () => {
    expect(ok(schemas.store, { Store: "1", StoreType: "c", Assortment: "a" })).toEqual({
      Store: 1,
      StoreType: "c",
      Assortment: "a",
    });
    expect(ok(schemas.store, { Store: "3", StoreType: "a", Assortment: "" })).toEqual({
      Store: 3,
      StoreType: "a",
      Assortment: null,
    });
    expect(ok(schemas.store, { Store: "4" })).toEqual({ Store: 4, StoreType: null, Assortment: null });
    expect(refused(schemas.store, { Store: "0", StoreType: "cc" })).toBe(
      'Store: expected a positive integer, got 0; StoreType: expected one letter, got "cc"',
    );
  });
});

describe("formatIssues", () => {
  it("joins the issues as `Column: message`, keeping only the first issue of a column", () => {
    const schema = z.object({ a: z.string().min(3, "too short").regex(/^x/, "must start with x"), b: z.number() });
    const r = schema.safeParse({ a: "y", b: 1 });
    expect(r.success).toBe(false);
    expect(r.error!.issues).toHaveLength(2);
    expect(formatIssues(r.error!)).toBe("a: too short");
  });

  it('says "row" for an issue without a path', () => {
    const r = salesCsvRow.safeParse("not an object");
    expect(formatIssues(r.error!)).toMatch(/^row: /);
  });
});

describe("showValue", () => {
  it("quotes text, cutting it after 40 characters, and shows other values as they are", () => {
    expect(showValue("12a")).toBe('"12a"');
    expect(showValue('say "hi"')).toBe('"say \\"hi\\""');
    expect(showValue("y".repeat(41))).toBe(`"${"y".repeat(40)}..."`);
    expect(showValue(-5)).toBe("-5");
    expect(showValue(null)).toBe("null");
    expect(showValue(undefined)).toBe("undefined");
    expect(showValue({ a: 1 })).toBe("an object");
  });
});
