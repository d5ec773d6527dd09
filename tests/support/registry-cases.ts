/**
 * Contract suite for the model registry: the same cases run on PGlite (unit) and Postgres
 * (integration). Postgres has a pool of connections, so its concurrency cases race for real;
 * PGlite has one connection and proves the registry neither deadlocks nor times out queueing.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { InvalidVersionError, NotFoundError } from "../../app/errors.js";
import type { Database } from "../../app/platform/db.server.js";
import {
  AlreadyInRunError,
  type NewVersion,
  promoteVersion,
  registerVersion,
} from "../../app/registry/register.server.js";
import {
  type CvMetricsInput,
  countProductionVersions,
  listProductionVersions,
  listVersions,
  modelName,
  productionVersion,
  storePrefixRanges,
  type VersionSummary,
} from "../../app/registry/versions.server.js";

export const CV: CvMetricsInput = {
  folds: [
    { cutoff: "2024-04-01", horizon: 42, rmse: 410.5, mape: 0.071, mae: 300.25, mdae: 250, rmspe: 0.09 },
    { cutoff: "2024-05-01", horizon: 42, rmse: 389.5, mape: 0.069, mae: 280.75, mdae: 231, rmspe: 0.085 },
  ],
  mean: { rmse: 400, mape: 0.07, mae: 290.5, mdae: 240.5, rmspe: 0.0875 },
};

/** A registration for a series, with fields that can be told apart by `n`. */
export function newVersion(store: number, productname: string, n = 1, extra: Partial<NewVersion> = {}): NewVersion {
  return {
    store,
    productname,
    config: { seasonality: "multiplicative", changepoints: 25, n },
    params: { k: 0.1 * n, m: [n, n / 3], beta: [[0.5, -1.25e-7], [n]] },
    trainStart: "2024-01-01",
    trainEnd: "2024-06-30",
    trainRows: 180 + n,
    cv: CV,
    durationMs: 1000 + n,
    ...extra,
  };
}

function circular(): unknown {
  const o: Record<string, unknown> = { a: 1 };
  o.self = o;
  return o;
}

/** A deterministic generator (mulberry32): a failing run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface StageRow {
  version: number;
  stage: string;
}

/** Versions and stages straight from the tables, oldest first: what the registry claims is checked against it. */
async function stages(db: Database, store: number, productname: string): Promise<StageRow[]> {
  return db.sql.query<StageRow>(
    `SELECT v.version, v.stage FROM model_versions v JOIN registered_models m ON m.id = v.model_id
      WHERE m.store = $1 AND m.productname = $2 ORDER BY v.version`,
    [store, productname],
  );
}

async function productionCount(db: Database, store: number, productname: string): Promise<number> {
  const [row] = await db.sql.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM model_versions v JOIN registered_models m ON m.id = v.model_id
      WHERE m.store = $1 AND m.productname = $2 AND v.stage = 'production'`,
    [store, productname],
  );
  return row!.n;
}

/** Models with other than exactly one production version: must always be empty. */
async function brokenModels(db: Database): Promise<unknown[]> {
  return db.sql.query(
    `SELECT m.name, count(v.id) FILTER (WHERE v.stage = 'production')::int AS production
       FROM registered_models m LEFT JOIN model_versions v ON v.model_id = m.id
      GROUP BY m.name HAVING count(v.id) FILTER (WHERE v.stage = 'production') <> 1`,
  );
}

async function register(db: Database, store: number, productname: string, count: number): Promise<VersionSummary[]> {
  const out: VersionSummary[] = [];
  for (let n = 1; n <= count; n++) out.push(await registerVersion(db, newVersion(store, productname, n)));
  return out;
}

export function describeRegistry(name: string, openDb: () => Promise<Database>): void {
  describe(`model registry (${name})`, () => {
    let db: Database;
    beforeAll(async () => {
      db = await openDb();
    });
    afterAll(async () => {
      await db?.close();
    });
    beforeEach(async () => {
      await db.sql.exec("TRUNCATE model_versions, registered_models, pipeline_runs RESTART IDENTITY CASCADE");
    });

    it("names a model after its store and product", () => {
      expect(modelName(3, "product_A")).toBe("prophet-retail-forecaster-store-3-product_A");
    });

    it("creates the model on the first registration, as version 1 in production", async () => {
      const v = await registerVersion(db, newVersion(3, "product_A"));
      expect(v).toMatchObject({
        name: "prophet-retail-forecaster-store-3-product_A",
        store: 3,
        productname: "product_A",
        version: 1,
        stage: "production",
        trainStart: "2024-01-01",
        trainEnd: "2024-06-30",
        trainRows: 181,
        cv: CV,
        cvRmse: 400,
        cvMape: 0.07,
        cvMae: 290.5,
        cvMdae: 240.5,
        cvRmspe: 0.0875,
        durationMs: 1001,
        pipelineRunId: null,
      });
      expect(v.createdAt).toBeInstanceOf(Date);
      expect(v.promotedAt).toEqual(v.createdAt);
      const models = await db.sql.query(`SELECT id, name, store, productname FROM registered_models`);
      expect(models).toEqual([{ id: v.modelId, name: v.name, store: 3, productname: "product_A" }]);
      expect(await stages(db, 3, "product_A")).toEqual([{ version: 1, stage: "production" }]);
      // The columns themselves, not only what the registry reads back.
      const [row] = await db.sql.query(
        `SELECT to_char(train_start, 'YYYY-MM-DD') AS start, to_char(train_end, 'YYYY-MM-DD') AS end,
                cv_rmse, cv_mape, cv_mae, cv_mdae, cv_rmspe, cv_metrics FROM model_versions`,
      );
      expect(row).toEqual({
        start: "2024-01-01",
        end: "2024-06-30",
        cv_rmse: 400,
        cv_mape: 0.07,
        cv_mae: 290.5,
        cv_mdae: 240.5,
        cv_rmspe: 0.0875,
        cv_metrics: CV,
      });
    });

    it("puts a second registration in production and archives the first", async () => {
      const [v1] = await register(db, 3, "product_A", 1);
      const v2 = await registerVersion(db, newVersion(3, "product_A", 2));
      expect(v2).toMatchObject({ version: 2, stage: "production", modelId: v1!.modelId });
      expect(await stages(db, 3, "product_A")).toEqual([
        { version: 1, stage: "archived" },
        { version: 2, stage: "production" },
      ]);
      expect((await db.sql.query("SELECT id FROM registered_models")).length).toBe(1);
    });

    it("promotes an older version (a rollback): it goes to production, the current one is archived", async () => {
      const [, v2] = await register(db, 3, "product_A", 2);
      const promoted = await promoteVersion(db, 3, "product_A", 1);
      expect(promoted).toMatchObject({ version: 1, stage: "production", trainRows: 181 });
      expect(promoted.promotedAt).toBeInstanceOf(Date);
      expect(promoted.promotedAt!.getTime()).toBeGreaterThanOrEqual(v2!.promotedAt!.getTime());
      expect(await stages(db, 3, "product_A")).toEqual([
        { version: 1, stage: "production" },
        { version: 2, stage: "archived" },
      ]);
      expect((await productionVersion(db, 3, "product_A"))?.version).toBe(1);

      // Promoting the production version again changes nothing.
      const again = await promoteVersion(db, 3, "product_A", 1);
      expect(again).toEqual(promoted);
      // And forward again.
      await promoteVersion(db, 3, "product_A", 2);
      expect(await stages(db, 3, "product_A")).toEqual([
        { version: 1, stage: "archived" },
        { version: 2, stage: "production" },
      ]);
      // A registration after a rollback still counts up from the highest version.
      await promoteVersion(db, 3, "product_A", 1);
      expect((await registerVersion(db, newVersion(3, "product_A", 3))).version).toBe(3);
    });

    it("refuses to promote a version or a series that does not exist, naming it", async () => {
      await register(db, 3, "product_A", 2);
      const missingVersion = await promoteVersion(db, 3, "product_A", 7).catch((e: unknown) => e);
      expect(missingVersion).toBeInstanceOf(NotFoundError);
      expect(missingVersion).toMatchObject({ entity: "version", message: "no model version 7 for store 3 product_A" });

      const missingModel = await promoteVersion(db, 4, "product_A", 1).catch((e: unknown) => e);
      expect(missingModel).toBeInstanceOf(NotFoundError);
      expect(missingModel).toMatchObject({ entity: "model" });
      expect((missingModel as Error).message).toMatch(/store 4 product_A/);

      const missingProduct = await promoteVersion(db, 3, "product_Z", 1).catch((e: unknown) => e);
      expect(missingProduct).toMatchObject({ entity: "model", message: expect.stringMatching(/store 3 product_Z/) });

      await expect(promoteVersion(db, 3, "product_A", 0)).rejects.toMatchObject({ entity: "version" });
      // Nothing moved.
      expect(await stages(db, 3, "product_A")).toEqual([
        { version: 1, stage: "archived" },
        { version: 2, stage: "production" },
      ]);
    });

    describe("a registration that fails leaves the registry as it was", () => {
      it("params that are not JSON (a BigInt)", async () => {
        await register(db, 3, "product_A", 2);
        const err = await registerVersion(db, newVersion(3, "product_A", 3, { params: { k: 1, big: [1, 2n] } })).catch(
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(InvalidVersionError);
        expect((err as Error).message).toMatch(/^params\.big\[1\]: .*BigInt/);
        expect(await stages(db, 3, "product_A")).toEqual([
          { version: 1, stage: "archived" },
          { version: 2, stage: "production" },
        ]);
      });

      it("values JSON would silently change (NaN, a typed array, a Date)", async () => {
        await register(db, 3, "product_A", 1);
        const tries: [unknown, RegExp][] = [
          [{ k: Number.NaN }, /^params\.k: JSON has no NaN/],
          [{ beta: new Float64Array([1, 2]) }, /^params\.beta: expected plain JSON, got Float64Array/],
          [{ at: new Date() }, /^params\.at: expected plain JSON, got Date/],
          [[1, undefined], /^params\[1\]: not JSON-serializable/],
          [circular(), /^params\.self: circular reference/],
        ];
        for (const [params, message] of tries) {
          await expect(registerVersion(db, newVersion(3, "product_A", 2, { params }))).rejects.toThrow(message);
        }
        await expect(
          registerVersion(db, newVersion(3, "product_A", 2, { cv: { ...CV, mean: { ...CV.mean, rmspe: Infinity } } })),
        ).rejects.toThrow(/^cv\.mean\.rmspe: expected a finite number/);
        expect(await stages(db, 3, "product_A")).toEqual([{ version: 1, stage: "production" }]);
      });

      it("a pipeline run id that breaks the foreign key, after the old version was archived", async () => {
        await register(db, 3, "product_A", 2);
        // The failure comes from the database, at the INSERT, after the UPDATE that archived version 2.
        await expect(registerVersion(db, newVersion(3, "product_A", 3, { pipelineRunId: 999_999 }))).rejects.toThrow();
        expect(await stages(db, 3, "product_A")).toEqual([
          { version: 1, stage: "archived" },
          { version: 2, stage: "production" },
        ]);
        // A new series: the model row it created rolls back with it.
        await expect(registerVersion(db, newVersion(5, "product_B", 1, { pipelineRunId: 999_999 }))).rejects.toThrow();
        expect(await db.sql.query("SELECT name FROM registered_models WHERE store = 5")).toEqual([]);
        // The registry still works, and the failed attempt used up no version number.
        const next = await registerVersion(db, newVersion(3, "product_A", 3));
        expect(next.version).toBe(3);
        expect(await brokenModels(db)).toEqual([]);
      });

      it("bad fields are refused before anything is written", async () => {
        const bad: [Partial<NewVersion>, RegExp][] = [
          [{ trainStart: "2024-02-30" }, /^trainStart: expected a YYYY-MM-DD date/],
          [{ trainEnd: "2023-12-31" }, /^trainEnd: 2023-12-31 is before trainStart 2024-01-01/],
          [{ trainRows: -1 }, /^trainRows: /],
          [{ durationMs: Number.POSITIVE_INFINITY }, /^durationMs: /],
          [{ store: 1.5 }, /^store: /],
          [{ productname: "" }, /^productname: /],
          [{ config: undefined }, /^config: missing/],
        ];
        for (const [extra, message] of bad) {
          await expect(registerVersion(db, newVersion(3, "product_A", 1, extra))).rejects.toThrow(message);
        }
        expect(await db.sql.query("SELECT id FROM registered_models")).toEqual([]);
      });
    });

    it("records the pipeline run that trained the version", async () => {
      const [run] = await db.sql.query<{ id: number }>(
        "INSERT INTO pipeline_runs (kind, status) VALUES ('train-all', 'RUNNING') RETURNING id",
      );
      const v = await registerVersion(db, newVersion(3, "product_A", 1, { pipelineRunId: run!.id }));
      expect(v.pipelineRunId).toBe(run!.id);
      expect((await listVersions(db, 3, "product_A"))[0]!.pipelineRunId).toBe(run!.id);
    });

    it("a pipeline run registers at most one version of a series, even when two workers race", async () => {
      const [run] = await db.sql.query<{ id: number }>(
        "INSERT INTO pipeline_runs (kind, status) VALUES ('train-all', 'RUNNING') RETURNING id",
      );
      const outcomes = await Promise.allSettled(
        [1, 2, 3].map((n) => registerVersion(db, newVersion(4, "product_R", n, { pipelineRunId: run!.id }))),
      );
      expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
      for (const o of outcomes.filter((o) => o.status === "rejected")) {
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(AlreadyInRunError);
      }
      expect((await listVersions(db, 4, "product_R")).map((v) => v.pipelineRunId)).toEqual([run!.id]);
      // Outside that run (another run, or none) the series gets new versions as usual.
      await registerVersion(db, newVersion(4, "product_R", 4));
      expect((await listVersions(db, 4, "product_R")).length).toBe(2);
    });

    it("10 concurrent registrations of a new series: versions 1..10, exactly one in production", async () => {
      const results = await Promise.all(
        Array.from({ length: 10 }, (_, i) => registerVersion(db, newVersion(7, "product_C", i + 1))),
      );
      expect(results.map((r) => r.version).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(new Set(results.map((r) => r.modelId)).size).toBe(1);
      const rows = await stages(db, 7, "product_C");
      expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(await productionCount(db, 7, "product_C")).toBe(1);
      // Versions are numbered in lock order and each registration takes production: the last one holds it.
      expect(rows.find((r) => r.stage === "production")?.version).toBe(10);
      expect(await db.sql.query("SELECT name FROM registered_models")).toEqual([
        { name: "prophet-retail-forecaster-store-7-product_C" },
      ]);
    });

    it("20 concurrent promotions of random versions leave exactly one in production", async () => {
      await register(db, 7, "product_C", 6);
      const random = rng(20_240_601);
      const targets = Array.from({ length: 20 }, () => 1 + Math.floor(random() * 6));
      const results = await Promise.all(targets.map((v) => promoteVersion(db, 7, "product_C", v)));
      expect(results.map((r) => r.version)).toEqual(targets);
      expect(await productionCount(db, 7, "product_C")).toBe(1);
      // Which one wins depends on lock order (promoted_at has millisecond precision, too coarse to tell).
      expect(targets).toContain((await productionVersion(db, 7, "product_C"))?.version);
      expect(await brokenModels(db)).toEqual([]);
    });

    it("concurrent registrations and promotions mixed: one production, no version number twice", async () => {
      await register(db, 7, "product_C", 3);
      const random = rng(42);
      const ops = Array.from({ length: 24 }, (_, i) =>
        i % 3 === 0
          ? registerVersion(db, newVersion(7, "product_C", 100 + i))
          : promoteVersion(db, 7, "product_C", 1 + Math.floor(random() * 3)),
      );
      await Promise.all(ops);
      const rows = await stages(db, 7, "product_C");
      expect(rows.map((r) => r.version)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
      expect(await productionCount(db, 7, "product_C")).toBe(1);
      expect(await brokenModels(db)).toEqual([]);
    });

    it("a registration waits for a transaction holding the model, longer than Prisma's default 2 s maxWait", async () => {
      await register(db, 3, "product_A", 1);
      let release!: () => void;
      const released = new Promise<void>((r) => {
        release = r;
      });
      let holding!: () => void;
      const held = new Promise<void>((r) => {
        holding = r;
      });
      // On Postgres this holds the row lock; on PGlite it holds the only connection.
      const holder = db.prisma.$transaction(
        async (tx) => {
          await tx.$queryRaw`SELECT id FROM registered_models WHERE store = 3 FOR UPDATE`;
          holding();
          await released;
        },
        { timeout: 20_000 },
      );
      await held;
      let done = false;
      const registration = registerVersion(db, newVersion(3, "product_A", 2)).finally(() => {
        done = true;
      });
      await new Promise((r) => setTimeout(r, 2_500));
      expect(done).toBe(false);
      release();
      await holder;
      expect((await registration).version).toBe(2);
      expect(await stages(db, 3, "product_A")).toEqual([
        { version: 1, stage: "archived" },
        { version: 2, stage: "production" },
      ]);
    });

    it("a burst of 60 concurrent registrations across series all succeed", async () => {
      const results = await Promise.all(
        Array.from({ length: 60 }, (_, i) =>
          registerVersion(
            db,
            newVersion(20 + (i % 3), "product_D", i, {
              params: { beta: Array.from({ length: 2_000 }, (_, j) => j / 7) },
            }),
          ),
        ),
      );
      expect(results).toHaveLength(60);
      for (const store of [20, 21, 22]) {
        expect((await stages(db, store, "product_D")).map((r) => r.version)).toEqual(
          Array.from({ length: 20 }, (_, i) => i + 1),
        );
      }
      expect(await brokenModels(db)).toEqual([]);
    });

    it("different series registered concurrently do not interfere", async () => {
      const series: [number, string][] = [
        [1, "product_A"],
        [1, "product_B"],
        [2, "product_A"],
      ];
      await Promise.all(
        series.flatMap(([store, product]) =>
          Array.from({ length: 5 }, (_, i) => registerVersion(db, newVersion(store, product, i + 1))),
        ),
      );
      for (const [store, product] of series) {
        const rows = await stages(db, store, product);
        expect(rows.map((r) => r.version)).toEqual([1, 2, 3, 4, 5]);
        expect(await productionCount(db, store, product)).toBe(1);
      }
      await promoteVersion(db, 1, "product_B", 2);
      expect((await productionVersion(db, 1, "product_A"))?.version).toBe(5);
      expect((await productionVersion(db, 1, "product_B"))?.version).toBe(2);
      expect((await productionVersion(db, 2, "product_A"))?.version).toBe(5);
      expect(await brokenModels(db)).toEqual([]);
    });

    it("lists a series' versions newest first, and nothing for an unknown series", async () => {
      await register(db, 3, "product_A", 3);
      await register(db, 3, "product_B", 1);
      await promoteVersion(db, 3, "product_A", 2);
      const list = await listVersions(db, 3, "product_A");
      expect(list.map((v) => [v.version, v.stage])).toEqual([
        [3, "archived"],
        [2, "production"],
        [1, "archived"],
      ]);
      expect(list.map((v) => v.trainRows)).toEqual([183, 182, 181]);
      // Summaries leave the (possibly large) model out.
      expect(list[0]).not.toHaveProperty("params");
      expect(await listVersions(db, 9, "product_A")).toEqual([]);
    });

    it("returns the production version's config and params exactly as registered", async () => {
      const config = { seasonality: "additive", holidays: ["a", "b"], nested: { empty: [], none: null, yes: true } };
      const params = {
        k: 0.1 + 0.2,
        m: -1.7976931348623157e308,
        tiny: 5e-324,
        delta: [
          [1e-300, -2.5e-8, 123456.789012345],
          [Math.PI, Math.E, 1 / 3],
        ],
        beta: Array.from({ length: 500 }, (_, i) => Math.sin(i) * 1e3),
        sigma_obs: 0.049999999999999996,
        text: 'ünïcödé "quoted" \\ back\nslash',
        weekdayOpen: [1, 1, 1, 1, 1, 1, 0],
      };
      await registerVersion(db, newVersion(3, "product_A", 1));
      await registerVersion(db, newVersion(3, "product_A", 2, { config, params }));
      const prod = await productionVersion(db, 3, "product_A");
      expect(prod).not.toBeNull();
      expect(prod!.version).toBe(2);
      expect(prod!.config).toEqual(config);
      expect(prod!.params).toEqual(params);
      expect(prod!.cv).toEqual(CV);
      expect(await productionVersion(db, 3, "product_Z")).toBeNull();
      // JSON null as the whole of params is stored as JSON, not as SQL NULL.
      await registerVersion(db, newVersion(3, "product_A", 3, { params: null, config: [] }));
      expect(await productionVersion(db, 3, "product_A")).toMatchObject({ version: 3, params: null, config: [] });
    });

    it("stores a version without cross-validation with null metrics", async () => {
      const v = await registerVersion(db, newVersion(3, "product_A", 1, { cv: null }));
      expect(v).toMatchObject({
        cv: null,
        cvRmse: null,
        cvMape: null,
        cvMae: null,
        cvMdae: null,
        cvRmspe: null,
      });
      const rows = await db.sql.query(
        "SELECT cv_metrics, cv_rmse, cv_mape, cv_mae, cv_mdae, cv_rmspe FROM model_versions WHERE id = $1",
        [v.id],
      );
      expect(rows).toEqual([
        { cv_metrics: null, cv_rmse: null, cv_mape: null, cv_mae: null, cv_mdae: null, cv_rmspe: null },
      ]);
      expect((await productionVersion(db, 3, "product_A"))?.cv).toBeNull();
    });

    it("lists production versions, one per model, by store then product, a page at a time", async () => {
      // Registered out of order; store 10 must come after store 2 (numeric, not text, order).
      for (const [store, product] of [
        [10, "product_A"],
        [2, "product_B"],
        [2, "product_A"],
        [1, "product_C"],
        [3, "product_A"],
      ] as const) {
        await register(db, store, product, 2);
      }
      await promoteVersion(db, 2, "product_B", 1);
      const all = await listProductionVersions(db);
      expect(all.map((v) => [v.store, v.productname, v.version])).toEqual([
        [1, "product_C", 2],
        [2, "product_A", 2],
        [2, "product_B", 1],
        [3, "product_A", 2],
        [10, "product_A", 2],
      ]);
      expect(all.every((v) => v.stage === "production")).toBe(true);
      const pages = [
        await listProductionVersions(db, { limit: 2 }),
        await listProductionVersions(db, { limit: 2, offset: 2 }),
        await listProductionVersions(db, { limit: 2, offset: 4 }),
        await listProductionVersions(db, { limit: 2, offset: 6 }),
      ];
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1, 0]);
      expect(pages.flat()).toEqual(all);
      await expect(listProductionVersions(db, { limit: -1 })).rejects.toThrow(/limit/);
    });

    it("filters production versions by store-number prefix and sorts them by CV RMSPE, worst first", async () => {
      const rmspe = (r: number): CvMetricsInput => ({ ...CV, mean: { ...CV.mean, rmspe: r } });
      for (const [store, r] of [
        [2, 0.1],
        [26, 0.3],
        [262, 0.2],
        [2620, null],
        [3, 0.5],
        [126, 0.9],
      ] as const) {
        await registerVersion(db, newVersion(store, "product_A", 1, { cv: r === null ? null : rmspe(r) }));
      }
      const stores = (vs: VersionSummary[]) => vs.map((v) => v.store);
      expect(stores(await listProductionVersions(db, { storePrefix: "26" }))).toEqual([26, 262, 2620]);
      expect(await countProductionVersions(db, { storePrefix: "26" })).toBe(3);
      expect(await countProductionVersions(db, { storePrefix: "2" })).toBe(4);
      expect(await countProductionVersions(db)).toBe(6);
      // No store number starts with 0, and none is past the 32-bit range.
      expect(await countProductionVersions(db, { storePrefix: "0" })).toBe(0);
      expect(await countProductionVersions(db, { storePrefix: "9999999999" })).toBe(0);
      expect(stores(await listProductionVersions(db, { sort: "rmspe" }))).toEqual([126, 3, 26, 262, 2, 2620]);
      expect(
        stores(await listProductionVersions(db, { sort: "rmspe", storePrefix: "2", limit: 2, offset: 1 })),
      ).toEqual([262, 2]);
      await expect(listProductionVersions(db, { storePrefix: "2a" })).rejects.toThrow(/storePrefix/);
      expect(storePrefixRanges("26").slice(0, 3)).toEqual([
        { gte: 26, lte: 26 },
        { gte: 260, lte: 269 },
        { gte: 2600, lte: 2699 },
      ]);
    });
  });
}
