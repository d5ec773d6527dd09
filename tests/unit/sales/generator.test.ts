import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../../../app/days.js";
import {
  CALENDAR_COLUMNS,
  isoDayOfWeek,
  PRODUCT_COLUMN,
  type SalesRow,
  STORE_COLUMNS,
  TRAIN_COLUMNS,
} from "../../../app/rossmann.js";
import { easterSunday } from "../../../app/sales/generator/calendar.js";
import {
  GENERATED_FILE_NAMES,
  type GeneratedFiles,
  writeGeneratedData,
} from "../../../app/sales/generator/csv-files.server.js";
import {
  CALENDAR_DAYS,
  type GenerateOptions,
  STREAM_DAYS,
  validateGenerateOptions,
} from "../../../app/sales/generator/options.js";
import { generateStoreProfiles, generateStores, productName } from "../../../app/sales/generator/profiles.js";
import { generateCalendar, generateSales, generateSalesDays } from "../../../app/sales/generator/sales-model.js";

const repoRoot = path.resolve(import.meta.dirname, "../../..");

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "storecast-datagen-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

// The issue fixes these; the tests use literals so a changed constant fails them.
const HELD_OUT_DAYS = 10;
const PLANNED_DAYS = 42;

const small: GenerateOptions = { stores: 12, products: 1, days: 40, endDate: "2015-07-31", seed: 42 };

function addDays(date: string, n: number): string {
  return formatDay(parseDay(date)! + n);
}

function salesOf(opts: GenerateOptions): SalesRow[] {
  return Array.from(generateSales(opts));
}

function mean(xs: number[]): number {
  return xs.reduce((s, x) => s + x, 0) / xs.length;
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

/** Per-store mean of open-day sales, over the rows that pass `keep`. */
function storeMeans(rows: SalesRow[], keep: (r: SalesRow) => boolean = () => true): Map<number, number> {
  const acc = new Map<number, { s: number; n: number }>();
  for (const r of rows) {
    if (!r.open || !keep(r)) continue;
    const a = acc.get(r.store) ?? { s: 0, n: 0 };
    a.s += r.sales;
    a.n++;
    acc.set(r.store, a);
  }
  return new Map([...acc].map(([k, v]) => [k, v.s / v.n]));
}

async function readCsv(file: string): Promise<{ header: string; rows: string[][] }> {
  const text = await readFile(file, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  const [header, ...lines] = text.slice(0, -1).split("\n");
  return { header: header!, rows: lines.map((l) => l.split(",")) };
}

async function generateTo(name: string, opts: GenerateOptions): Promise<GeneratedFiles> {
  return writeGeneratedData({ ...opts, outDir: path.join(tmp, name) });
}

describe("determinism", () => {
  it("produces the same rows for the same seed and different rows for another seed", () => {
    const a = salesOf(small);
    const b = salesOf(small);
    const c = salesOf({ ...small, seed: 43 });
    expect(a).toEqual(b);
    expect(c).toHaveLength(a.length);
    expect(c.map((r) => r.sales)).not.toEqual(a.map((r) => r.sales));
    expect(generateStores({ ...small, seed: 43, stores: 200 })).not.toEqual(generateStores({ ...small, stores: 200 }));
  });

  it("writes byte-identical files for the same options", async () => {
    const opts = { ...small, products: 2 };
    const first = await generateTo("det-1", opts);
    const second = await generateTo("det-2", opts);
    const other = await generateTo("det-other", { ...opts, seed: 7 });
    for (const key of ["historyCsv", "streamCsv", "calendarCsv", "storesCsv"] as const) {
      expect(await readFile(second[key])).toEqual(await readFile(first[key]));
    }
    expect(await readFile(other.historyCsv, "utf8")).not.toEqual(await readFile(first.historyCsv, "utf8"));
  });

  it("writes the injected events into the files (GENERATE_EVENTS)", async () => {
    const plain = await generateTo("events-0", small);
    const changed = await generateTo("events-1", {
      ...small,
      events: [{ kind: "level", store: 2, from: "2000-01-01", factor: 0.5 }],
    });
    const a = (await readCsv(plain.historyCsv)).rows;
    const b = (await readCsv(changed.historyCsv)).rows;
    const differing = a.filter((r, i) => r.join() !== b[i]!.join()).map((r) => Number(r[0]));
    expect(differing.length).toBeGreaterThan(0);
    expect(new Set(differing)).toEqual(new Set([2]));
  });

  it("keeps a store's data when the number of stores changes", () => {
    const store3 = (rows: SalesRow[]) => rows.filter((r) => r.store === 3);
    expect(store3(salesOf({ ...small, stores: 3 }))).toEqual(store3(salesOf({ ...small, stores: 30 })));
    expect(generateStores({ stores: 3, seed: 42 })[2]).toEqual(generateStores({ stores: 30, seed: 42 })[2]);
  });

  it("keeps product_A identical to the single-product series", () => {
    const single = salesOf(small);
    const multi = salesOf({ ...small, products: 3 }).filter((r) => r.productname === "product_A");
    expect(multi).toEqual(single);
  });
});

describe("files", () => {
  let res: GeneratedFiles;
  const opts: GenerateOptions = { stores: 9, products: 1, days: 30, endDate: "2015-07-31", seed: 1 };
  beforeAll(async () => {
    res = await generateTo("files", opts);
  });

  it("exports the held-out and planned day counts", () => {
    expect(STREAM_DAYS).toBe(HELD_OUT_DAYS);
    expect(CALENDAR_DAYS).toBe(PLANNED_DAYS);
  });

  it("writes exactly the four files, with absolute paths", async () => {
    for (const f of [res.historyCsv, res.streamCsv, res.calendarCsv, res.storesCsv]) {
      expect(path.isAbsolute(f)).toBe(true);
    }
    expect((await readdir(path.join(tmp, "files"))).sort()).toEqual(Object.values(GENERATED_FILE_NAMES).sort());
  });

  it("uses Kaggle's headers, in order, without ProductName for one product", async () => {
    expect((await readCsv(res.historyCsv)).header).toBe(TRAIN_COLUMNS.join(","));
    expect((await readCsv(res.streamCsv)).header).toBe(TRAIN_COLUMNS.join(","));
    expect((await readCsv(res.calendarCsv)).header).toBe(CALENDAR_COLUMNS.join(","));
    expect((await readCsv(res.storesCsv)).header).toBe(STORE_COLUMNS.join(","));
    const { header, rows } = await readCsv(res.historyCsv);
    expect(header).not.toContain(PRODUCT_COLUMN);
    expect(rows.every((r) => r.length === TRAIN_COLUMNS.length)).toBe(true);
  });

  it("splits history and stream at the newest 10 days", async () => {
    const history = await readCsv(res.historyCsv);
    const stream = await readCsv(res.streamCsv);
    const dateCol = TRAIN_COLUMNS.indexOf("Date");
    const streamDates = [...new Set(stream.rows.map((r) => r[dateCol]!))];
    const historyDates = [...new Set(history.rows.map((r) => r[dateCol]!))];
    expect(streamDates).toEqual(Array.from({ length: HELD_OUT_DAYS }, (_, i) => addDays(opts.endDate, -i)));
    expect(historyDates).toEqual(
      Array.from({ length: opts.days - HELD_OUT_DAYS }, (_, i) => addDays(opts.endDate, -HELD_OUT_DAYS - i)),
    );
    expect(stream.rows).toHaveLength(opts.stores * HELD_OUT_DAYS);
    expect(history.rows).toHaveLength(opts.stores * (opts.days - HELD_OUT_DAYS));
    expect(res.streamRows).toBe(stream.rows.length);
    expect(res.historyRows).toBe(history.rows.length);
  });

  it("sorts sales rows by date descending, then store", async () => {
    const { rows } = await readCsv(res.historyCsv);
    const key = (r: string[]) => [r[2]!, Number(r[0])] as const;
    for (let i = 1; i < rows.length; i++) {
      const [d0, s0] = key(rows[i - 1]!);
      const [d1, s1] = key(rows[i]!);
      expect(d0 > d1 || (d0 === d1 && s0 < s1)).toBe(true);
    }
  });

  it("plans the 42 days after the history file (from the first stream day), one row per store and day, Ids from 1", async () => {
    const { rows } = await readCsv(res.calendarCsv);
    expect(rows).toHaveLength(opts.stores * PLANNED_DAYS);
    expect(res.calendarRows).toBe(rows.length);
    expect(rows.map((r) => Number(r[0]))).toEqual(rows.map((_, i) => i + 1));
    const dates = [...new Set(rows.map((r) => r[3]!))];
    const firstPlanned = addDays(opts.endDate, -(HELD_OUT_DAYS - 1));
    expect(dates).toEqual(Array.from({ length: PLANNED_DAYS }, (_, i) => addDays(firstPlanned, PLANNED_DAYS - 1 - i)));
    for (const d of dates) {
      expect(rows.filter((r) => r[3] === d).map((r) => Number(r[1]))).toEqual(
        Array.from({ length: opts.stores }, (_, i) => i + 1),
      );
    }
  });

  it("writes store attributes with Kaggle's codes", async () => {
    const { rows } = await readCsv(res.storesCsv);
    expect(rows.map((r) => Number(r[0]))).toEqual(Array.from({ length: opts.stores }, (_, i) => i + 1));
    for (const [, type, assortment] of rows) {
      expect(["a", "b", "c", "d"]).toContain(type);
      expect(["a", "b", "c"]).toContain(assortment);
    }
  });

  it("adds ProductName only when there are several products", async () => {
    const multi = await generateTo("products", { ...opts, products: 3 });
    for (const file of [multi.historyCsv, multi.streamCsv]) {
      const { header, rows } = await readCsv(file);
      expect(header).toBe([...TRAIN_COLUMNS, PRODUCT_COLUMN].join(","));
      expect(rows.slice(0, 3).map((r) => r[TRAIN_COLUMNS.length])).toEqual(["product_A", "product_B", "product_C"]);
      expect(new Set(rows.map((r) => `${r[0]}|${r[2]}`)).size * 3).toBe(rows.length);
    }
    expect(multi.historyRows).toBe(opts.stores * 3 * (opts.days - HELD_OUT_DAYS));
    // The plan has no product dimension.
    expect((await readCsv(multi.calendarCsv)).header).toBe(CALENDAR_COLUMNS.join(","));
    expect(multi.calendarRows).toBe(opts.stores * PLANNED_DAYS);
  });
});

describe("calendar rules", () => {
  const year: GenerateOptions = { stores: 60, products: 1, days: 365, endDate: "2015-12-31", seed: 42 };
  let rows: SalesRow[];
  beforeAll(() => {
    rows = salesOf(year);
  });

  it("uses ISO day of week and one row per store per day", () => {
    expect(rows).toHaveLength(year.stores * year.days);
    expect(rows.every((r) => r.dayofweek === isoDayOfWeek(r.date))).toBe(true);
  });

  it("has zero sales and customers exactly on closed days", () => {
    const closed = rows.filter((r) => r.open === 0);
    expect(closed.length).toBeGreaterThan(0);
    expect(closed.every((r) => r.sales === 0 && r.customers === 0)).toBe(true);
    expect(rows.filter((r) => r.open === 1).every((r) => r.sales > 0 && r.customers > 0)).toBe(true);
  });

  it("closes most stores on Sundays but keeps type b stores open", () => {
    const profiles = generateStoreProfiles({ stores: 400, seed: 42 });
    const sundayOpen = profiles.filter((p) => p.sundayOpen);
    expect(sundayOpen.length / profiles.length).toBeGreaterThan(0.005);
    expect(sundayOpen.length / profiles.length).toBeLessThan(0.08);
    expect(profiles.filter((p) => p.storeType === "b").every((p) => p.sundayOpen)).toBe(true);

    const sundays = rows.filter((r) => r.dayofweek === 7 && r.stateholiday === "0");
    const openOnSunday = new Set(sundays.filter((r) => r.open).map((r) => r.store));
    expect(openOnSunday.size).toBeLessThan(year.stores * 0.1);
    // Stores open on Sundays are open on (nearly) every non-holiday Sunday: a store policy, not noise.
    for (const s of openOnSunday) {
      const mine = sundays.filter((r) => r.store === s);
      expect(mine.filter((r) => r.open).length / mine.length).toBeGreaterThan(0.85);
    }
  });

  it("marks German holidays and closes stores on them", () => {
    const held = rows.filter((r) => r.stateholiday !== "0");
    expect(held.length).toBeGreaterThan(0);
    expect(held.every((r) => r.open === 0 && r.sales === 0)).toBe(true);
    const codeOn = (date: string) => new Set(rows.filter((r) => r.date === date).map((r) => r.stateholiday));
    expect(codeOn("2015-01-01")).toEqual(new Set(["a"]));
    expect(codeOn("2015-04-03")).toEqual(new Set(["b"])); // Good Friday
    expect(codeOn("2015-04-06")).toEqual(new Set(["b"])); // Easter Monday
    expect(codeOn("2015-05-01")).toEqual(new Set(["a"]));
    expect(codeOn("2015-05-14")).toEqual(new Set(["a"])); // Ascension
    expect(codeOn("2015-05-25")).toEqual(new Set(["a"])); // Whit Monday
    expect(codeOn("2015-10-03")).toEqual(new Set(["a"]));
    expect(codeOn("2015-12-25")).toEqual(new Set(["c"]));
    expect(codeOn("2015-12-26")).toEqual(new Set(["c"]));
    expect(codeOn("2015-07-15")).toEqual(new Set(["0"]));
    // Regional: Corpus Christi only in some states.
    expect(codeOn("2015-06-04")).toEqual(new Set(["0", "a"]));
  });

  it("computes Easter", () => {
    expect(easterSunday(2015)).toBe("2015-04-05");
    expect(easterSunday(2016)).toBe("2016-03-27");
    expect(easterSunday(2019)).toBe("2019-04-21");
    expect(easterSunday(2024)).toBe("2024-03-31");
    expect(easterSunday(2025)).toBe("2025-04-20");
  });

  it("has school holidays in blocks that differ between states, with a long summer break", () => {
    const byStore = new Map<number, SalesRow[]>();
    for (const r of rows) byStore.set(r.store, [...(byStore.get(r.store) ?? []), r]);
    const summer = [...byStore.values()].map(
      (rs) => rs.filter((r) => r.schoolholiday && r.date.slice(5, 7) >= "06" && r.date.slice(5, 7) <= "09").length,
    );
    expect(Math.min(...summer)).toBeGreaterThanOrEqual(40);
    const patterns = new Set([...byStore.values()].map((rs) => rs.map((r) => r.schoolholiday).join("")));
    expect(patterns.size).toBeGreaterThan(3);
    expect(patterns.size).toBeLessThanOrEqual(12);
  });

  it("runs promotions on weekdays only, on the same days for every store", () => {
    expect(rows.filter((r) => r.promo).every((r) => r.dayofweek <= 5)).toBe(true);
    const promoByDate = new Map<string, Set<number>>();
    for (const r of rows) promoByDate.set(r.date, (promoByDate.get(r.date) ?? new Set()).add(r.promo));
    expect([...promoByDate.values()].every((s) => s.size === 1)).toBe(true);
    const weekdays = rows.filter((r) => r.dayofweek <= 5);
    const share = weekdays.filter((r) => r.promo).length / weekdays.length;
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
  });

  it("plans the future with the same rules as the history", () => {
    const end = "2015-10-31";
    const planned = Array.from(generateCalendar({ ...year, endDate: end }));
    // The plan starts on the first held-out day, i.e. HELD_OUT_DAYS - 1 days before the end date.
    const later = salesOf({ ...year, days: PLANNED_DAYS, endDate: addDays(end, PLANNED_DAYS - HELD_OUT_DAYS) });
    const plan = (r: {
      store: number;
      date: string;
      dayofweek: number;
      open: number;
      promo: number;
      stateholiday: string;
      schoolholiday: number;
    }) => [r.store, r.date, r.dayofweek, r.open, r.promo, r.stateholiday, r.schoolholiday].join("|");
    expect(planned.map(plan)).toEqual(later.map(plan));
  });

  it("closes a few stores for a few weeks of refurbishment", () => {
    const many: GenerateOptions = { stores: 300, products: 1, days: 365, endDate: "2015-12-31", seed: 42 };
    const longest = new Map<number, number>();
    const run = new Map<number, number>();
    // Newest first; a run counts only closures that no holiday or Sunday explains.
    for (const day of generateSalesDays(many)) {
      for (const r of day.rows) {
        const unexplained = r.open === 0 && r.stateholiday === "0" && r.dayofweek !== 7;
        const n = unexplained
          ? (run.get(r.store) ?? 0) + 1
          : r.dayofweek === 7 || r.stateholiday !== "0"
            ? (run.get(r.store) ?? 0)
            : 0;
        run.set(r.store, n);
        longest.set(r.store, Math.max(longest.get(r.store) ?? 0, n));
      }
    }
    const refurbished = [...longest.values()].filter((n) => n >= 10);
    expect(refurbished.length).toBeGreaterThan(0);
    expect(refurbished.length / many.stores).toBeLessThan(0.1);
    // Other closures are never unexplained single days.
    expect([...longest.values()].filter((n) => n > 0 && n < 10)).toEqual([]);
  });
});

describe("sales structure", () => {
  it("lifts sales by about 25% on promo days", () => {
    const rows = salesOf({ stores: 60, products: 1, days: 120, endDate: "2015-06-30", seed: 42 });
    const promo = storeMeans(rows, (r) => r.dayofweek <= 5 && r.promo === 1);
    const plain = storeMeans(rows, (r) => r.dayofweek <= 5 && r.promo === 0);
    const ratios = [...promo].filter(([s]) => plain.has(s)).map(([s, m]) => m / plain.get(s)!);
    expect(ratios.length).toBeGreaterThan(50);
    const ratio = mean(ratios);
    expect(ratio).toBeGreaterThan(1.15);
    expect(ratio).toBeLessThan(1.35);
  });

  it("peaks in December and rises towards Christmas", () => {
    const rows = salesOf({ stores: 40, products: 1, days: 365, endDate: "2015-12-31", seed: 42 });
    const monthMean = (m: string) => mean(rows.filter((r) => r.open && r.date.slice(5, 7) === m).map((r) => r.sales));
    expect(monthMean("12") / monthMean("09")).toBeGreaterThan(1.1);
    const decMean = (from: number, to: number) =>
      mean(
        rows
          .filter(
            (r) =>
              r.open &&
              r.date.startsWith("2015-12") &&
              Number(r.date.slice(8)) >= from &&
              Number(r.date.slice(8)) <= to,
          )
          .map((r) => r.sales),
      );
    expect(decMean(16, 23)).toBeGreaterThan(decMean(1, 8) * 1.15);
  });

  it("has Monday as the strongest and Saturday as the weakest weekday", () => {
    const rows = salesOf({ stores: 80, products: 1, days: 84, endDate: "2015-06-30", seed: 42 });
    const byDow = [1, 2, 3, 4, 5, 6].map((d) =>
      mean(rows.filter((r) => r.open && r.dayofweek === d).map((r) => r.sales)),
    );
    expect(Math.max(...byDow)).toBe(byDow[0]);
    expect(Math.min(...byDow)).toBe(byDow[5]);
  });

  it("spreads store sizes widely around Kaggle's level, with a 9-10 EUR basket", () => {
    const rows = salesOf({ stores: 300, products: 1, days: 28, endDate: "2015-06-30", seed: 42 });
    const means = [...storeMeans(rows).values()].sort((a, b) => a - b);
    expect(quantile(means, 0.9) / quantile(means, 0.1)).toBeGreaterThan(3);
    expect(means[0]).toBeGreaterThan(1000);
    expect(means.at(-1)).toBeLessThan(30_000);
    const open = rows.filter((r) => r.open);
    const avgSales = mean(open.map((r) => r.sales));
    expect(avgSales).toBeGreaterThan(5500);
    expect(avgSales).toBeLessThan(8500);
    const basket = open.reduce((s, r) => s + r.sales, 0) / open.reduce((s, r) => s + r.customers, 0);
    expect(basket).toBeGreaterThan(8.5);
    expect(basket).toBeLessThan(11);
  });

  it("assigns store types and assortments in Kaggle-like shares", () => {
    const profiles = generateStoreProfiles({ stores: 3000, seed: 42 });
    const share = (t: string) => profiles.filter((p) => p.storeType === t).length / profiles.length;
    expect(share("a")).toBeCloseTo(0.54, 1);
    expect(share("b")).toBeGreaterThan(0.005);
    expect(share("b")).toBeLessThan(0.04);
    expect(share("c")).toBeCloseTo(0.13, 1);
    expect(share("d")).toBeCloseTo(0.31, 1);
    expect(profiles.filter((p) => p.assortment === "b").every((p) => p.storeType === "b")).toBe(true);
    expect(new Set(profiles.map((p) => p.state)).size).toBe(12);
  });

  it("scales other products by their own factor, with their own noise", () => {
    const rows = salesOf({ ...small, products: 3 });
    const a = rows.filter((r) => r.productname === "product_A" && r.open);
    const b = rows.filter((r) => r.productname === "product_B" && r.open);
    expect(b).toHaveLength(a.length);
    const ratios = a.map((r, i) => b[i]!.sales / r.sales);
    // Not a constant multiple of product_A: the noise is independent.
    expect(Math.max(...ratios) / Math.min(...ratios)).toBeGreaterThan(1.1);
    expect(b.every((r, i) => r.open === a[i]!.open && r.promo === a[i]!.promo)).toBe(true);
  });
});

describe("options", () => {
  it("names products like spreadsheet columns", () => {
    expect([0, 1, 25, 26, 27].map(productName)).toEqual([
      "product_A",
      "product_B",
      "product_Z",
      "product_AA",
      "product_AB",
    ]);
  });

  it("rejects bad options, naming them", () => {
    expect(() => validateGenerateOptions({ ...small, stores: 0 })).toThrow(/^stores:/);
    expect(() => validateGenerateOptions({ ...small, products: 1.5 })).toThrow(/^products:/);
    expect(() => validateGenerateOptions({ ...small, days: HELD_OUT_DAYS })).toThrow(/^days:/);
    expect(() => validateGenerateOptions({ ...small, endDate: "2015-02-30" })).toThrow(/^endDate:/);
    expect(() => validateGenerateOptions({ ...small, endDate: "31.07.2015" })).toThrow(/^endDate:/);
    expect(() => generateSalesDays({ ...small, seed: -1 }).next()).toThrow(/^seed:/);
    expect(() => validateGenerateOptions(small)).not.toThrow();
  });

  it("CLI: exits 1 with one line naming a bad option, and writes files otherwise", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", "scripts/generate-data.ts", ...args], {
        cwd: repoRoot,
        encoding: "utf8",
      });
    const bad = cli("--stores", "many");
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(bad.stderr).toContain("--stores");

    const out = path.join(tmp, "cli");
    const ok = cli("--stores", "3", "--days", "12", "--end-date", "2015-07-31", "--out", out);
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(GENERATED_FILE_NAMES.history);
    expect(ok.stdout).toMatch(/Generated in \d+\.\d+ s/);
  });
});
