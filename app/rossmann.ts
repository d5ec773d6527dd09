/** Rossmann (Kaggle) file formats shared by the generator, the loader and the stream. */
import { z } from "zod";
import { DATE_RE, DAY_MS, isoWeekday, parseDay } from "./days.js";

/** train.csv columns, in Kaggle's order. `ProductName` is storecast's optional extra column. */
export const TRAIN_COLUMNS = [
  "Store",
  "DayOfWeek",
  "Date",
  "Sales",
  "Customers",
  "Open",
  "Promo",
  "StateHoliday",
  "SchoolHoliday",
] as const;

/** test.csv columns: the plan for coming days (covariates known in advance). */
export const CALENDAR_COLUMNS = [
  "Id",
  "Store",
  "DayOfWeek",
  "Date",
  "Open",
  "Promo",
  "StateHoliday",
  "SchoolHoliday",
] as const;

/** store.csv columns storecast reads (Kaggle's file has more; they are ignored). */
export const STORE_COLUMNS = ["Store", "StoreType", "Assortment"] as const;

export const PRODUCT_COLUMN = "ProductName";
export const DEFAULT_PRODUCT = "product_A";

export const STATE_HOLIDAYS = ["0", "a", "b", "c"] as const;
export type StateHoliday = (typeof STATE_HOLIDAYS)[number];

/** One day of one store and product, as stored in `rossman_sales`. Dates are YYYY-MM-DD. */
export interface SalesRow {
  store: number;
  productname: string;
  date: string;
  dayofweek: number;
  sales: number;
  customers: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

/** One planned day of one store, as stored in `store_calendar`. */
export interface CalendarRow {
  store: number;
  date: string;
  dayofweek: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

export interface StoreRow {
  store: number;
  store_type: string | null;
  assortment: string | null;
}

/** Kaggle's DayOfWeek of a YYYY-MM-DD date: Monday = 1 ... Sunday = 7 (ISO). */
export function isoDayOfWeek(date: string): number {
  return isoWeekday(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
}

// ---------------------------------------------------------------------------------------------------
// Field rules (zod). One schema per field serves two callers: the CSV loader, where every value is a
// string ("5263", "0", "a", ""), and the stream consumer, whose JSON records may hold numbers or
// strings ({"store": 1, "sales": "12a"}). Surrounding whitespace is ignored; a blank string counts as
// missing. Each message names what was wrong and shows the offending value; the column name is added
// by `formatIssues` from the issue's path. On a hot path, parse with `z.compile(schema)` (the loader
// does): same results and messages, a fraction of the cost.

/** Store, sales and customers are stored as Postgres `int`. */
export const MAX_INT32 = 2_147_483_647;
export const MAX_PRODUCT_NAME = 100;

/** Postgres text cannot hold NUL (U+0000): a name with one can be neither stored nor looked up. */
export const hasNul = (text: string): boolean => text.includes("\u0000");

/** A value as reasons show it: strings quoted (cut after 40 characters), numbers and the like as is. */
export function showValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (value === null || typeof value !== "object") return String(value);
  return Array.isArray(value) ? "an array" : "an object";
}

const isBlank = (value: unknown) => value === undefined || value === null || value === "";

/** The error map of a rule: "missing" for a blank value, else what was expected and what came. */
const expected =
  (what: string) =>
  (issue: { input?: unknown }): string =>
    isBlank(issue.input) ? "missing" : `${what}, got ${showValue(issue.input)}`;

const trimText = (value: unknown) => (typeof value === "string" ? value.trim() : value);

const DECIMAL_RE = /^-?\d+(\.\d+)?$/;
/**
 * Text written as a decimal number becomes that number, so text and JSON numbers meet the same rules
 * ("3.5" fails as a fraction, "-5" as negative); other text stays text and fails as not a number.
 */
const decimalText = (value: unknown) => {
  if (typeof value !== "string") return value;
  const text = value.trim();
  if (!DECIMAL_RE.test(text)) return text;
  const n = Number(text);
  return Number.isFinite(n) ? n : text;
};

/** A whole number from `min` (0 or 1) to MAX_INT32, given as a number or as decimal text. */
function integerField(min: 0 | 1) {
  const what = `expected a ${min === 1 ? "positive" : "non-negative"} integer`;
  const notNegative = (issue: { input?: unknown }) =>
    (issue.input as number) < 0 ? `must not be negative, got ${showValue(issue.input)}` : expected(what)(issue);
  return z.preprocess(
    decimalText,
    z
      .number({ error: expected(what) })
      .min(min, { abort: true, error: notNegative })
      .max(MAX_INT32, { abort: true, error: (issue) => `too large (${issue.input} > ${MAX_INT32})` })
      .int({ error: expected(what) }),
  );
}

/** "0" and "1" become the numbers JSON would send; any other text stays text and fails as such. */
const flagText = (value: unknown) => {
  const v = trimText(value);
  return v === "1" ? 1 : v === "0" ? 0 : v;
};
const FLAG = z.literal([0, 1], { error: expected("expected 0 or 1") });

/** 0 or 1, given as a number or as text. */
const flagField = z.preprocess(flagText, FLAG);

/** A store letter (store.csv's StoreType, Assortment): one character; blank or absent means unknown (null). */
const letterField = z.preprocess(
  (value) => (typeof value === "string" ? value.trim() || null : (value ?? null)),
  z
    .string({ error: expected("expected one letter") })
    .length(1, { error: expected("expected one letter") })
    .nullable(),
);

const knownDays = new Map<string, number>();
/** parseDay, remembered: a file repeats each date once per store (~1,000 times), and parsing is the costly part. */
function dayOf(text: string): number | undefined {
  let day = knownDays.get(text);
  if (day === undefined) {
    day = parseDay(text);
    if (day === undefined) return undefined;
    if (knownDays.size >= 20_000) knownDays.clear();
    knownDays.set(text, day);
  }
  return day;
}

/**
 * The rules for each Rossmann field, keyed like the `rossman_sales` columns. Numbers come out as
 * numbers, `date` as a day number (days since 1970-01-01, see days.ts), `stateholiday` as "0" | "a" |
 * "b" | "c", `store_type` and `assortment` as a letter or null.
 */
export const rossmannFields = {
  /** A positive integer (a store number). */
  store: integerField(1),
  /** The ISO weekday, Monday 1 to Sunday 7 (Kaggle's DayOfWeek), as a number or decimal text. */
  dayofweek: z.preprocess(
    decimalText,
    z
      .number({ error: expected("expected a weekday 1 (Monday) to 7 (Sunday)") })
      .int({ error: expected("expected a weekday 1 (Monday) to 7 (Sunday)") })
      .min(1, { error: expected("expected a weekday 1 (Monday) to 7 (Sunday)") })
      .max(7, { error: expected("expected a weekday 1 (Monday) to 7 (Sunday)") }),
  ),
  /** A real calendar date YYYY-MM-DD (2015-02-30 is refused), as a day number. */
  date: z
    .string({ error: expected("expected YYYY-MM-DD") })
    .trim()
    .regex(DATE_RE, { error: expected("expected YYYY-MM-DD") })
    .transform((text, ctx) => {
      const day = dayOf(text);
      if (day !== undefined) return day;
      ctx.issues.push({ code: "custom", input: text, message: `not a real date ${showValue(text)}` });
      return z.NEVER;
    }),
  sales: integerField(0),
  customers: integerField(0),
  open: flagField,
  promo: flagField,
  /** 0 (none), a, b or c. Kaggle mixes 0 and "0" (the CSV parser strips the quotes); JSON may send 0. */
  stateholiday: z.preprocess(
    (value) => (typeof value === "string" ? value.trim().toLowerCase() : value === 0 ? "0" : value),
    z.enum(STATE_HOLIDAYS, { error: expected("expected one of 0, a, b, c") }),
  ),
  schoolholiday: flagField,
  /** Non-empty, at most MAX_PRODUCT_NAME characters (after trimming). */
  productname: z
    .string({ error: expected("expected a product name") })
    .trim()
    .min(1, { error: "missing" })
    .max(MAX_PRODUCT_NAME, {
      error: (issue) =>
        `longer than ${MAX_PRODUCT_NAME} characters (${(issue.input as string).length}), got ${showValue(issue.input)}`,
    }),
  /** The plan's Open (test.csv): like `open`, but blank or absent means open (Kaggle leaves a few empty). */
  plannedOpen: z.preprocess((value) => {
    const v = flagText(value);
    return isBlank(v) ? 1 : v;
  }, FLAG),
  store_type: letterField,
  assortment: letterField,
};

/** One line of train.csv, by Kaggle's column names. DayOfWeek is not read: the loader recomputes it. */
export const salesCsvRow = z.object({
  Store: rossmannFields.store,
  Date: rossmannFields.date,
  Sales: rossmannFields.sales,
  Customers: rossmannFields.customers,
  Open: rossmannFields.open,
  Promo: rossmannFields.promo,
  StateHoliday: rossmannFields.stateholiday,
  SchoolHoliday: rossmannFields.schoolholiday,
  /** storecast's extra column; absent (undefined) when the file has none, but never blank when present. */
  ProductName: rossmannFields.productname.optional(),
});
export type SalesCsvRow = z.output<typeof salesCsvRow>;

/** One line of test.csv (the store calendar). Id and DayOfWeek are not read. */
export const calendarCsvRow = z.object({
  Store: rossmannFields.store,
  Date: rossmannFields.date,
  Open: rossmannFields.plannedOpen,
  Promo: rossmannFields.promo,
  StateHoliday: rossmannFields.stateholiday,
  SchoolHoliday: rossmannFields.schoolholiday,
});
export type CalendarCsvRow = z.output<typeof calendarCsvRow>;

/** One line of store.csv; StoreType and Assortment may be blank or their columns absent (null). */
export const storeCsvRow = z.object({
  Store: rossmannFields.store,
  StoreType: rossmannFields.store_type,
  Assortment: rossmannFields.assortment,
});
export type StoreCsvRow = z.output<typeof storeCsvRow>;

/**
 * A failed parse as one line, each failing column with what was wrong and the value, in column order:
 * `Sales: expected a non-negative integer, got "12a"; Date: not a real date "2015-02-30"`.
 * Only the first problem of a column is listed.
 */
export function formatIssues(error: z.ZodError): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const issue of error.issues) {
    const column = issue.path.map(String).join(".") || "row";
    if (seen.has(column)) continue;
    seen.add(column);
    parts.push(`${column}: ${issue.message}`);
  }
  return parts.join("; ");
}
