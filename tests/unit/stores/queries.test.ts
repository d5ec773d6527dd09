import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ValidationError } from "../../../app/errors.js";
import { dedupeKeyOf } from "../../../app/jobs/dedupe.js";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import type { JobQueue } from "../../../app/jobs/port.js";
import { latestTrainingRun, PipelineRun } from "../../../app/pipelines/runs.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { modelCard } from "../../../app/registry/model-card.server.js";
import { registerVersion } from "../../../app/registry/register.server.js";
import { listStoresPage } from "../../../app/stores/list.server.js";
import { overviewStats } from "../../../app/stores/overview.server.js";
import { recentSales, storeInfo } from "../../../app/stores/store.server.js";
import { retrainJob } from "../../../app/training/retrain-job.server.js";

// Stores 1..12 (types a, b, c, d in turn), store 3 with a second product; 60 days ending
// 2026-03-01; store n sells 100 * n a day, so the sales order is the store order. Store 99 has
// attributes and no sales.
const STORES = 12;
const LAST_DAY = "2026-03-01";

async function seed(db: Database): Promise<void> {
  await db.sql.query(
    `INSERT INTO stores (store, store_type, assortment)
     SELECT s, (ARRAY['a','b','c','d'])[1 + (s - 1) % 4], 'a' FROM generate_series(1, $1::int) s`,
    [STORES],
  );
  // A store.csv row without any sales: not a store the pages can show.
  await db.sql.query("INSERT INTO stores (store, store_type, assortment) VALUES (99, 'a', 'a')");
  await db.sql.query(
    `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
     SELECT s.store, s.product, d::date, extract(isodow FROM d)::int, 100 * s.store, 10, 1, 0, '0', 0
       FROM (SELECT g AS store, 'product_A' AS product FROM generate_series(1, $1::int) g
             UNION ALL SELECT 3, 'product_B') s,
            generate_series($2::date - 59, $2::date, interval '1 day') d`,
    [STORES, LAST_DAY],
  );
}

const cv = (rmspe: number) => ({
  folds: [{}, {}, {}],
  mean: { rmse: 10, mape: rmspe, mae: 8, mdae: 7, rmspe },
});

async function register(db: Database, store: number, productname: string, rmspe: number) {
  return registerVersion(db, {
    store,
    productname,
    config: { kind: "test" },
    params: { test: true },
    trainStart: "2026-01-01",
    trainEnd: "2026-02-28",
    trainRows: 50,
    cv: cv(rmspe),
    durationMs: 120,
  });
}

describe("web page queries on PGlite", () => {
  let db: Database;
  let jobs: JobQueue;

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
    // No workers: enqueued jobs stay PENDING.
    jobs = createInProcessQueue();
    await seed(db);
    // Store n's model error is 0.01 * n, except store 5 with none; store 3 has two products.
    for (let s = 1; s <= STORES; s++) if (s !== 5) await register(db, s, "product_A", 0.01 * s);
    await register(db, 3, "product_B", 0.5);
    await register(db, 7, "product_A", 0.07); // a second version of store 7
  });
  afterAll(async () => {
    await jobs?.close(1000);
    await db?.close();
  });

  it("counts stores and series, the production models and their median error", async () => {
    const stats = await overviewStats(db);
    expect(stats).toMatchObject({ stores: STORES, series: STORES + 1, models: STORES, lastDate: LAST_DAY });
    // Production errors: 0.01..0.12 without 0.05, plus 0.5: median of 12 values = (0.07 + 0.08) / 2.
    expect(stats.medianRmspe).toBeCloseTo(0.075, 10);
    expect(stats.goodModelsShare).toBeCloseTo(11 / 12, 10);
  });

  it("counts nothing on an empty database", async () => {
    const empty = await openDatabase({ pgliteDir: "memory://" });
    try {
      expect(await overviewStats(empty)).toEqual({
        stores: 0,
        series: 0,
        models: 0,
        medianRmspe: null,
        goodModelsShare: null,
        firstDate: null,
        lastDate: null,
      });
      expect(await latestTrainingRun(empty)).toBeNull();
      expect(await listStoresPage(empty, { sort: "id", dir: "asc", page: 3, pageSize: 5 })).toEqual({
        total: 0,
        page: 1,
        pages: 1,
        rows: [],
      });
    } finally {
      await empty.close();
    }
  });

  it("pages the stores in SQL, with products, recent sales and the mean model error", async () => {
    const first = await listStoresPage(db, { sort: "id", dir: "asc", page: 1, pageSize: 5 });
    expect(first.total).toBe(STORES);
    expect(first.pages).toBe(3);
    expect(first.rows.map((r) => r.store)).toEqual([1, 2, 3, 4, 5]);
    const three = first.rows[2]!;
    expect(three).toMatchObject({ storeType: "c", assortment: "a", products: ["product_A", "product_B"], models: 2 });
    // Two products of 300 a day each.
    expect(three.salesPerDay).toBeCloseTo(600, 10);
    expect(three.cvRmspe).toBeCloseTo((0.03 + 0.5) / 2, 10);
    expect(first.rows[4]).toMatchObject({ store: 5, cvRmspe: null, models: 0 });
    const last = await listStoresPage(db, { sort: "id", dir: "asc", page: 3, pageSize: 5 });
    expect(last.rows.map((r) => r.store)).toEqual([11, 12]);
  });

  it("gives the last page for a page past the end", async () => {
    const page = await listStoresPage(db, { sort: "id", dir: "desc", page: 99, pageSize: 5 });
    expect(page.page).toBe(3);
    expect(page.rows.map((r) => r.store)).toEqual([2, 1]);
  });

  it("sorts by sales and by error either way, stores without a model last", async () => {
    const sales = await listStoresPage(db, { sort: "sales", dir: "desc", page: 1, pageSize: 3 });
    expect(sales.rows.map((r) => r.store)).toEqual([12, 11, 10]);
    const worst = await listStoresPage(db, { sort: "error", dir: "desc", page: 1, pageSize: 3 });
    expect(worst.rows.map((r) => r.store)).toEqual([3, 12, 11]);
    const best = await listStoresPage(db, { sort: "error", dir: "asc", page: 1, pageSize: STORES });
    expect(best.rows.map((r) => r.store)).toEqual([1, 2, 4, 6, 7, 8, 9, 10, 11, 12, 3, 5]);
  });

  it("averages sales over the last 7 complete days: today's partial stream rows do not count yet", async () => {
    const q = { storePrefix: "1", sort: "id", dir: "asc", page: 1, pageSize: 1 } as const;
    await db.sql.query("UPDATE rossman_sales SET sales = 700100 WHERE store = 1 AND date = $1::date", [LAST_DAY]);
    try {
      // LAST_DAY is today: the window is the 7 days before it.
      expect((await listStoresPage(db, q, LAST_DAY)).rows[0]?.salesPerDay).toBeCloseTo(100, 10);
      // LAST_DAY is yesterday: it is complete and counts.
      expect((await listStoresPage(db, q, "2026-03-02")).rows[0]?.salesPerDay).toBeCloseTo((6 * 100 + 700100) / 7, 10);
    } finally {
      await db.sql.query("UPDATE rossman_sales SET sales = 100 WHERE store = 1 AND date = $1::date", [LAST_DAY]);
    }
  });

  it("filters by store-number prefix and by store type", async () => {
    const ones = await listStoresPage(db, { storePrefix: "1", sort: "id", dir: "asc", page: 1, pageSize: 50 });
    expect(ones.rows.map((r) => r.store)).toEqual([1, 10, 11, 12]);
    const typeB = await listStoresPage(db, { type: "b", sort: "id", dir: "asc", page: 1, pageSize: 50 });
    expect(typeB.rows.map((r) => r.store)).toEqual([2, 6, 10]);
    const none = await listStoresPage(db, { storePrefix: "99", sort: "id", dir: "asc", page: 1, pageSize: 50 });
    expect(none).toMatchObject({ total: 0, rows: [] });
  });

  it("refuses parameters that are not what the page sends", async () => {
    const base = { sort: "id", dir: "asc", page: 1, pageSize: 5 } as const;
    await expect(listStoresPage(db, { ...base, storePrefix: "1; DROP TABLE stores" })).rejects.toThrow(ValidationError);
    await expect(listStoresPage(db, { ...base, page: 0 })).rejects.toThrow(ValidationError);
    await expect(listStoresPage(db, { ...base, pageSize: 10_000 })).rejects.toThrow(ValidationError);
    await expect(listStoresPage(db, { ...base, sort: "price" as never })).rejects.toThrow(ValidationError);
  });

  it("describes a store and its products, or null for a store without sales", async () => {
    expect(await storeInfo(db, 3)).toEqual({
      store: 3,
      storeType: "c",
      assortment: "a",
      products: ["product_A", "product_B"],
    });
    expect(await storeInfo(db, 999)).toBeNull();
  });

  it("reads the series' last 8 weeks of sales in date order", async () => {
    const sales = await recentSales(db, { store: 4, productname: "product_A" });
    expect(sales).toHaveLength(56);
    expect(sales.at(-1)).toEqual({ date: LAST_DAY, sales: 400, open: true });
    expect(sales[0]!.date < sales[1]!.date).toBe(true);
    expect(await recentSales(db, { store: 4, productname: "product_Z" })).toEqual([]);
  });

  it("shows the production version's card without its parameters", async () => {
    const card = await modelCard(db, { store: 7, productname: "product_A" });
    expect(card).toMatchObject({
      name: "prophet-retail-forecaster-store-7-product_A",
      version: 2,
      versions: 2,
      trainStart: "2026-01-01",
      trainEnd: "2026-02-28",
      trainRows: 50,
      folds: 3,
      cv: { rmspe: 0.07, rmse: 10, mape: 0.07, mae: 8, mdae: 7 },
    });
    expect(card?.trainedAt).toBeInstanceOf(Date);
    expect(card).not.toHaveProperty("params");
    expect(await modelCard(db, { store: 5, productname: "product_A" })).toBeNull();
  });

  it("names the latest train-all or weekly run with its duration and counts", async () => {
    const run = await PipelineRun.start(db, "train-weekly");
    await run.finish("SUCCEEDED", { counts: { trained: 11, skipped: 1, failed: 0 } });
    const retrain = await PipelineRun.start(db, "retrain");
    await retrain.finish("SUCCEEDED");
    const latest = await latestTrainingRun(db);
    expect(latest).toMatchObject({ id: run.id, kind: "train-weekly", status: "SUCCEEDED", trained: 11, skipped: 1 });
    expect(latest?.durationMs).toBeGreaterThanOrEqual(0);
  });

  it("finds the series' retrain job from the address, and ignores one of another series", async () => {
    const key = { store: 2, productname: "product_A" };
    const { id } = await jobs.enqueue("train-one", key);
    expect(await retrainJob(jobs, key, id)).toEqual({
      id,
      status: "PENDING",
      progress: null,
      error: null,
      version: null,
    });
    expect(await retrainJob(jobs, { store: 4, productname: "product_A" }, id)).toBeNull();
    expect(await retrainJob(jobs, key, "no-such-job")).toBeNull();
    expect(await retrainJob(jobs, key, "x".repeat(5000))).toBeNull();
  });

  it("finds the series' queued or running retrain started elsewhere, by its dedupe key", async () => {
    const key = { store: 6, productname: "product_A" };
    const { id } = await jobs.enqueue("train-one", key, { dedupeKey: dedupeKeyOf("train-one", key) });
    expect(await retrainJob(jobs, key, null)).toMatchObject({ id, status: "PENDING" });
    expect(await retrainJob(jobs, { store: 8, productname: "product_A" }, null)).toBeNull();
    // Once it is no longer queued or running, only the address brings it back.
    await jobs.cancel(id);
    expect(await retrainJob(jobs, key, null)).toBeNull();
    expect(await retrainJob(jobs, key, id)).toMatchObject({ id, status: "STOPPED" });
  });
});
