/**
 * Contract suite for the history loader: the same cases run on PGlite (unit) and Postgres
 * (integration), so both adapters are held to one behaviour.
 */
import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Database } from "../../app/platform/db.server.js";
import { type CalendarRow, isoDayOfWeek, type SalesRow } from "../../app/rossmann.js";
import { historyIsEmpty, type LoadHistoryOptions, loadHistory } from "../../app/sales/history/load.server.js";
import { HistoryLoadError } from "../../app/sales/history/load-report.js";
import { runScript, type ScriptRun, tempDir } from "./processes.js";

export const HEADER = "Store,DayOfWeek,Date,Sales,Customers,Open,Promo,StateHoliday,SchoolHoliday";
/** A fixed "today": the newest date of every file below (2015-07-31, a Friday) becomes 2024-06-01, a Saturday. */
export const TODAY = "2024-06-02";
export const NEWEST = "2015-07-31";

const DAY_MS = 86_400_000;
const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY_MS;
export const SHIFT = dayNumber("2024-06-01") - dayNumber(NEWEST);
/** Where an original date lands after the loader's shift. */
export const shifted = (date: string) => new Date((dayNumber(date) + SHIFT) * DAY_MS).toISOString().slice(0, 10);

export interface RowSpec {
  store?: number | string;
  date?: string;
  sales?: number | string;
  customers?: number | string;
  open?: number | string;
  promo?: number | string;
  holiday?: string;
  school?: number | string;
}

/** One train.csv line; DayOfWeek is the original date's, as in Kaggle's file. */
export function row(r: RowSpec = {}): string {
  const date = r.date ?? NEWEST;
  const dow = /^\d{4}-\d{2}-\d{2}$/.test(date) && !Number.isNaN(Date.parse(date)) ? isoDayOfWeek(date) : 1;
  return [
    r.store ?? 1,
    dow,
    date,
    r.sales ?? 5000,
    r.customers ?? 500,
    r.open ?? 1,
    r.promo ?? 0,
    r.holiday ?? "0",
    r.school ?? 0,
  ].join(",");
}

export type CliRun = ScriptRun;

/**
 * Runs `npm run load-history` as a user would. Without DATABASE_URL in `env` it loads into a
 * PGlite directory of its own (the test runner's DATABASE_URL is not inherited).
 */
export async function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  const pgliteParent = tempDir("history-cli");
  try {
    return await runScript("scripts/load-history.ts", args, {
      PGLITE_DIR: path.join(pgliteParent, "db"),
      NODE_ENV: "test",
      ...env,
    });
  } finally {
    rmSync(pgliteParent, { recursive: true, force: true });
  }
}

// What the database hands back: SalesRow and CalendarRow as stored.
type SalesRecord = SalesRow;
type CalendarRecord = CalendarRow;

export function salesRows(db: Database): Promise<SalesRecord[]> {
  return db.sql.query<SalesRecord>(
    `SELECT store, productname, to_char(date, 'YYYY-MM-DD') AS date, dayofweek, sales, customers, open, promo,
            stateholiday, schoolholiday
       FROM rossman_sales ORDER BY productname, store, date`,
  );
}

export async function salesCount(db: Database): Promise<number> {
  const [r] = await db.sql.query<{ n: number }>("SELECT count(*)::int AS n FROM rossman_sales");
  return r?.n ?? -1;
}

function calendarRows(db: Database): Promise<CalendarRecord[]> {
  return db.sql.query<CalendarRecord>(
    `SELECT store, to_char(date, 'YYYY-MM-DD') AS date, dayofweek, open, promo, stateholiday, schoolholiday
       FROM store_calendar ORDER BY store, date`,
  );
}

function storeRows(db: Database) {
  return db.sql.query<{ store: number; store_type: string | null; assortment: string | null }>(
    "SELECT store, store_type, assortment FROM stores ORDER BY store",
  );
}

/** Three stores over three days, newest first (Kaggle's order). */
function threeByThree(): string[] {
  const lines: string[] = [];
  for (const date of ["2015-07-31", "2015-07-30", "2015-07-29"]) {
    for (const store of [1, 2, 3]) lines.push(row({ store, date, sales: store * 1000 + Number(date.slice(8)) }));
  }
  return lines;
}

interface BadCase {
  name: string;
  line: string;
  reason: RegExp;
}

/** One bad row each; the reason must name the column (or the row's shape). */
export const BAD_ROWS: BadCase[] = [
  { name: "too few columns", line: "2,5,2015-07-31,100", reason: /^expected 9 columns, got 4$/ },
  { name: "too many columns", line: `${row({ store: 2 })},1`, reason: /^expected 9 columns, got 10$/ },
  { name: "non-numeric sales", line: row({ store: 2, sales: "12a" }), reason: /^Sales: .*"12a"/ },
  { name: "negative sales", line: row({ store: 2, sales: -5 }), reason: /^Sales: must not be negative/ },
  {
    name: "fractional sales",
    line: row({ store: 2, sales: "3.5" }),
    reason: /^Sales: expected a non-negative integer, got 3\.5$/,
  },
  { name: "customers above 2^31-1", line: row({ store: 2, customers: "2147483648" }), reason: /^Customers: too large/ },
  { name: "non-numeric customers", line: row({ store: 2, customers: "many" }), reason: /^Customers: / },
  { name: "February 30th", line: row({ store: 2, date: "2015-02-30" }), reason: /^Date: not a real date "2015-02-30"/ },
  { name: "month 13", line: row({ store: 2, date: "2015-13-01" }), reason: /^Date: not a real date "2015-13-01"/ },
  { name: "not ISO", line: row({ store: 2, date: "31.07.2015" }), reason: /^Date: expected YYYY-MM-DD/ },
  { name: "blank Date", line: row({ store: 2, date: "" }), reason: /^Date: missing$/ },
  { name: "unknown StateHoliday", line: row({ store: 2, holiday: "x" }), reason: /^StateHoliday: .*"x"/ },
  { name: "Open not 0/1", line: row({ store: 2, open: 2 }), reason: /^Open: expected 0 or 1, got "2"/ },
  { name: "Promo not 0/1", line: row({ store: 2, promo: "yes" }), reason: /^Promo: expected 0 or 1/ },
  { name: "SchoolHoliday not 0/1", line: row({ store: 2, school: -1 }), reason: /^SchoolHoliday: expected 0 or 1/ },
  { name: "missing Store", line: row({ store: "" }), reason: /^Store: missing$/ },
  { name: "Store zero", line: row({ store: 0 }), reason: /^Store: expected a positive integer/ },
  // Stray quotes are kept as text (relax_quotes), so the column check names the field.
  { name: "stray quote", line: '2,5,2015-07-31,"100"x,5,1,0,0,0', reason: /^Sales: .*100/ },
];

/**
 * Registers the loader's contract tests. `openDb` is called once (in beforeAll) and must return a
 * migrated database; the tables the loader writes are truncated before each test.
 */
export function describeHistoryLoader(openDb: () => Promise<Database>): void {
  describe("history loader contract", () => {
    let db: Database;
    let dir: string;
    let fileNo = 0;
    /** Writes a CSV (lines joined with \n, trailing newline) into the suite's temp dir. */
    const csv = (lines: string[], name = "train"): string => {
      const file = path.join(dir, `${name}-${++fileNo}.csv`);
      writeFileSync(file, `${lines.join("\n")}\n`);
      return file;
    };
    const load = (opts: Omit<LoadHistoryOptions, "today"> & { today?: string }) =>
      loadHistory(db, { today: TODAY, ...opts });

    beforeAll(async () => {
      db = await openDb();
      dir = tempDir("history");
    });
    afterAll(async () => {
      await db?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      await db.sql.exec("TRUNCATE rossman_sales, store_calendar, stores RESTART IDENTITY");
    });

    it("loads every row, shifting the newest date to yesterday and recomputing the weekday", async () => {
      expect(await historyIsEmpty(db)).toBe(true);
      const report = await load({ csv: csv([HEADER, ...threeByThree()]) });
      expect(report).toMatchObject({
        rowsRead: 9,
        rowsLoaded: 9,
        rowsSkipped: 0,
        rowsOutsideWindow: 0,
        rowsDuplicate: 0,
        badRows: [],
        shiftDays: SHIFT,
        from: "2024-05-30",
        to: "2024-06-01",
        stores: 3,
        products: ["product_A"],
        warnings: [],
      });
      expect(await historyIsEmpty(db)).toBe(false);
      const rows = await salesRows(db);
      expect(rows).toHaveLength(9);
      expect(rows.find((r) => r.store === 2 && r.date === "2024-06-01")).toEqual({
        store: 2,
        productname: "product_A",
        date: "2024-06-01",
        // The file said 5 (Friday, 2015-07-31); the shifted date is a Saturday.
        dayofweek: 6,
        sales: 2031,
        customers: 500,
        open: 1,
        promo: 0,
        stateholiday: "0",
        schoolholiday: 0,
      });
      for (const r of rows) expect(r.dayofweek).toBe(isoDayOfWeek(r.date));
    });

    it("keeps only the last 5 months before and including the newest date", async () => {
      const file = csv([
        HEADER,
        row({ date: "2015-07-31" }),
        row({ date: "2015-03-01" }), // first day of the window
        row({ date: "2015-02-28" }),
        row({ date: "2014-12-01" }),
      ]);
      const report = await load({ csv: file });
      expect(report).toMatchObject({ rowsRead: 4, rowsLoaded: 2, rowsOutsideWindow: 2, rowsSkipped: 0 });
      expect(report.from).toBe(shifted("2015-03-01"));
      expect((await salesRows(db)).map((r) => r.date)).toEqual([shifted("2015-03-01"), shifted("2015-07-31")]);
    });

    it("honours the months option", async () => {
      const file = csv([HEADER, row({ date: "2015-07-31" }), row({ date: "2015-07-01" }), row({ date: "2015-06-30" })]);
      const report = await load({ csv: file, months: 1 });
      expect(report).toMatchObject({ rowsLoaded: 2, rowsOutsideWindow: 1 });
    });

    it("re-running a file adds no rows, and a changed value in a later file wins", async () => {
      const lines = threeByThree();
      const first = await load({ csv: csv([HEADER, ...lines]) });
      expect(first.rowsUnchanged).toBe(0);
      expect(await salesCount(db)).toBe(9);

      const again = await load({ csv: csv([HEADER, ...lines]) });
      expect(again).toMatchObject({ rowsLoaded: 9, rowsUnchanged: 9 });
      expect(await salesCount(db)).toBe(9);

      const changed = lines.map((l, i) => (i === 0 ? row({ store: 1, date: NEWEST, sales: 999 }) : l));
      const third = await load({ csv: csv([HEADER, ...changed]) });
      expect(third).toMatchObject({ rowsLoaded: 9, rowsUnchanged: 8 });
      expect(await salesCount(db)).toBe(9);
      const rows = await salesRows(db);
      expect(rows.find((r) => r.store === 1 && r.date === "2024-06-01")?.sales).toBe(999);
    });

    it("keeps the later line when a file repeats a store, product and date", async () => {
      const report = await load({ csv: csv([HEADER, row({ sales: 1 }), row({ store: 2 }), row({ sales: 3 })]) });
      expect(report).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsDuplicate: 1 });
      expect((await salesRows(db)).find((r) => r.store === 1)?.sales).toBe(3);
    });

    it("reads the product from a ProductName column", async () => {
      const file = csv([
        `${HEADER},ProductName`,
        `${row({ store: 1, sales: 10 })},product_A`,
        `${row({ store: 1, sales: 20 })},product_B`,
        `${row({ store: 2, sales: 30 })},"product, quoted"`,
        `${row({ store: 2, sales: 40 })},`,
      ]);
      const report = await load({ csv: file, product: "ignored" });
      expect(report).toMatchObject({ rowsLoaded: 3, rowsSkipped: 1 });
      expect(report.badRows).toEqual([{ line: 5, reason: "ProductName: missing" }]);
      expect(report.products).toEqual(["product_A", "product_B", "product, quoted"]);
      const rows = await salesRows(db);
      expect(rows.map((r) => [r.productname, r.store, r.sales])).toEqual([
        ["product, quoted", 2, 30],
        ["product_A", 1, 10],
        ["product_B", 1, 20],
      ]);
    });

    it("uses the product option when the file has no ProductName column", async () => {
      await load({ csv: csv([HEADER, row()]), product: "widgets" });
      expect((await salesRows(db)).map((r) => r.productname)).toEqual(["widgets"]);
    });

    it('accepts Kaggle\'s mixed StateHoliday quoting (0, "0", a, "b", c)', async () => {
      const file = csv([
        HEADER,
        '1,5,2015-07-31,5263,555,1,1,"0","1"',
        "2,5,2015-07-31,6064,625,1,1,0,1",
        '3,5,2015-07-31,0,0,0,0,"a","0"',
        '4,5,2015-07-31,0,0,0,0,"b",0',
        "5,5,2015-07-31,0,0,0,0,c,0",
      ]);
      const report = await load({ csv: file });
      expect(report).toMatchObject({ rowsLoaded: 5, rowsSkipped: 0 });
      const rows = await salesRows(db);
      expect(rows.map((r) => r.stateholiday)).toEqual(["0", "0", "a", "b", "c"]);
      expect(rows.map((r) => r.schoolholiday)).toEqual([1, 1, 0, 0, 0]);
    });

    it("finds columns by header name, in any order and case, ignoring extra columns", async () => {
      const file = csv([
        "date,EXTRA,schoolholiday,STORE,sales,customers,open,promo,stateholiday",
        "2015-07-31,zzz,1,7,123,45,1,1,a",
      ]);
      const report = await load({ csv: file });
      expect(report.rowsLoaded).toBe(1);
      expect(await salesRows(db)).toEqual([
        {
          store: 7,
          productname: "product_A",
          date: "2024-06-01",
          dayofweek: 6,
          sales: 123,
          customers: 45,
          open: 1,
          promo: 1,
          stateholiday: "a",
          schoolholiday: 1,
        },
      ]);
    });

    it("reads a file with a byte-order mark and CRLF line ends", async () => {
      const file = path.join(dir, "bom-crlf.csv");
      writeFileSync(
        file,
        `\uFEFF${[HEADER, row({ store: 1 }), row({ store: 2, sales: "x" }), row({ store: 3 })].join("\r\n")}\r\n`,
      );
      const report = await load({ csv: file });
      expect(report).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsSkipped: 1 });
      expect(report.badRows).toEqual([{ line: 3, reason: 'Sales: expected a non-negative integer, got "x"' }]);
    });

    describe("bad rows are reported with their line and column, skipped, and the rest loaded", () => {
      it.each(BAD_ROWS)("$name", async ({ line, reason }) => {
        const file = csv([HEADER, row({ store: 1 }), line, row({ store: 3 })]);
        const report = await load({ csv: file });
        expect(report.rowsRead).toBe(3);
        expect(report.rowsSkipped).toBe(1);
        expect(report.rowsLoaded).toBe(2);
        expect(report.badRows).toHaveLength(1);
        expect(report.badRows[0]!.line).toBe(3);
        expect(report.badRows[0]!.reason).toMatch(reason);
        expect((await salesRows(db)).map((r) => r.store)).toEqual([1, 3]);
      });

      it("counts physical lines: blank lines and multi-line quoted fields included", async () => {
        const file = csv([
          HEADER, // 1
          row({ store: 1 }), // 2
          "", // 3
          row({ store: 2, sales: "12a" }), // 4
          '3,5,2015-07-31,"1', // 5: a quoted field spanning two lines
          '2",5,1,0,0,0', // 6
          row({ store: 4, date: "2015-02-30", open: 7 }), // 7
          row({ store: 5 }), // 8
        ]);
        const report = await load({ csv: file });
        expect(report).toMatchObject({ rowsRead: 5, rowsLoaded: 2, rowsSkipped: 3 });
        expect(report.badRows.map((b) => b.line)).toEqual([4, 5, 7]);
        expect(report.badRows[1]!.reason).toMatch(/^Sales: /);
        // Every problem of a row is listed.
        expect(report.badRows[2]!.reason).toMatch(/Date: .*; Open: /);
      });
    });

    it("reports an unclosed quote on the last line as malformed CSV and loads the rest", async () => {
      const file = csv([HEADER, row({ store: 1 }), row({ store: 2 }), '3,5,2015-07-31,"5263,555,1,1,0,1']);
      const report = await load({ csv: file });
      expect(report).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsSkipped: 1 });
      expect(report.badRows).toEqual([{ line: 4, reason: expect.stringMatching(/^malformed CSV: Quote Not Closed/) }]);
    });

    it("rejects a file whose header lacks a required column, naming it, and writes nothing", async () => {
      const file = csv([
        "Store,DayOfWeek,Date,Customers,Open,Promo,StateHoliday,SchoolHoliday",
        "1,5,2015-07-31,1,1,0,0,0",
      ]);
      const err = await load({ csv: file }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HistoryLoadError);
      expect((err as Error).message).toMatch(/missing required column Sales/);
      expect(await historyIsEmpty(db)).toBe(true);
    });

    it("rejects a missing file", async () => {
      await expect(load({ csv: path.join(dir, "nope.csv") })).rejects.toThrow(/does not exist/);
    });

    it("rejects an empty file (no header)", async () => {
      const file = path.join(dir, "empty.csv");
      writeFileSync(file, "");
      await expect(load({ csv: file })).rejects.toThrow(/empty: expected a header line/);
    });

    it("loads nothing from a header-only file and says so", async () => {
      const report = await load({ csv: csv([HEADER]) });
      expect(report).toMatchObject({ rowsRead: 0, rowsLoaded: 0, rowsSkipped: 0, from: "", to: "" });
      expect(report.warnings.join(" ")).toMatch(/no data rows: nothing loaded/);
      expect(await historyIsEmpty(db)).toBe(true);
    });

    it("loads the calendar file with the history's date shift", async () => {
      const calendar = csv(
        [
          "Id,Store,DayOfWeek,Date,Open,Promo,StateHoliday,SchoolHoliday",
          "1,1,6,2015-08-01,1,1,0,0",
          "2,1,7,2015-08-02,,0,0,1", // Kaggle leaves Open empty for a few rows: an open day
          '3,1,1,2015-08-03,0,0,"a",0',
          "4,2,6,2015-08-01,1,2,0,0", // bad Promo
        ],
        "test",
      );
      const report = await load({ csv: csv([HEADER, ...threeByThree()]), calendarCsv: calendar });
      expect(report).toMatchObject({ calendarRows: 3, calendarRowsSkipped: 1, rowsSkipped: 0 });
      expect(report.badRows).toEqual([{ line: 5, reason: 'Promo: expected 0 or 1, got "2"', file: calendar }]);
      expect(await calendarRows(db)).toEqual([
        { store: 1, date: "2024-06-02", dayofweek: 7, open: 1, promo: 1, stateholiday: "0", schoolholiday: 0 },
        { store: 1, date: "2024-06-03", dayofweek: 1, open: 1, promo: 0, stateholiday: "0", schoolholiday: 1 },
        { store: 1, date: "2024-06-04", dayofweek: 2, open: 0, promo: 0, stateholiday: "a", schoolholiday: 0 },
      ]);
      // A re-run upserts: no duplicate plan rows.
      await load({ csv: csv([HEADER, ...threeByThree()]), calendarCsv: calendar });
      expect(await calendarRows(db)).toHaveLength(3);
    });

    it("writes nothing when a side file is unusable (the load is one transaction)", async () => {
      const calendar = csv(["Id,Store,Date,Open", "1,1,2015-08-01,1"], "test");
      await expect(load({ csv: csv([HEADER, ...threeByThree()]), calendarCsv: calendar })).rejects.toThrow(
        /calendar file .*missing required columns Promo, StateHoliday, SchoolHoliday/,
      );
      expect(await historyIsEmpty(db)).toBe(true);
    });

    it("upserts stores, adding stores with sales but no store.csv row, never blanking known ones", async () => {
      const stores = csv(
        [
          "Store,StoreType,Assortment,CompetitionDistance,Promo2,PromoInterval",
          '1,c,a,1270,0,""',
          '2,a,a,570,1,"Jan,Apr,Jul,Oct"',
          "3,a,",
        ],
        "store",
      );
      const history = csv([HEADER, ...threeByThree(), row({ store: 4 })]);
      const report = await load({ csv: history, storesCsv: stores });
      // store 3's short line is a bad row of the stores file; store 3 still gets a row from the sales.
      expect(report).toMatchObject({ storeRows: 2, storeRowsSkipped: 1, stores: 4 });
      expect(report.badRows).toEqual([{ line: 4, reason: "expected 6 columns, got 3", file: stores }]);
      expect(await storeRows(db)).toEqual([
        { store: 1, store_type: "c", assortment: "a" },
        { store: 2, store_type: "a", assortment: "a" },
        { store: 3, store_type: null, assortment: null },
        { store: 4, store_type: null, assortment: null },
      ]);

      const changed = csv(["Store,StoreType,Assortment", "1,d,c", "4,b,b"], "store");
      await load({ csv: history, storesCsv: changed });
      await load({ csv: history });
      expect(await storeRows(db)).toEqual([
        { store: 1, store_type: "d", assortment: "c" },
        { store: 2, store_type: "a", assortment: "a" },
        { store: 3, store_type: null, assortment: null },
        { store: 4, store_type: "b", assortment: "b" },
      ]);
    });
  });
}
