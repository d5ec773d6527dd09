/**
 * The store page's forecast components, through its loader as Remix calls it, on in-memory PGlite
 * with generated history and series trained by the real training path: the panel's numbers add up
 * to the forecast the chart shows, and a series without a forecast or with a broken version still
 * gets its page.
 */
import type { AppLoadContext } from "@remix-run/node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OPEN_PRINCIPAL } from "../../../app/auth/principal.js";
import { createInProcessQueue } from "../../../app/jobs/in-process.server.js";
import type { JobQueue } from "../../../app/jobs/port.js";
import { createModelPool, type ModelPool } from "../../../app/model/pool.server.js";
import { loadConfig } from "../../../app/platform/config.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import { loader } from "../../../app/routes/_pages+/stores.$store.js";
import { trainOne } from "../../../app/training/train-one.server.js";
import { loadGeneratedHistory } from "../../support/generated-history.js";

const log = pino({ level: "silent" });
const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

type Page = Awaited<ReturnType<typeof loader>>["data"];

describe("store page: forecast components", () => {
  let db: Database;
  let jobs: JobQueue;
  let pool: ModelPool;
  const config = loadConfig({});
  const context = () =>
    ({
      db,
      jobs,
      log,
      config,
      principal: OPEN_PRINCIPAL,
      signingKey: "k".repeat(32),
      sessionId: null,
    }) as unknown as AppLoadContext;
  const load = async (store: number): Promise<Page> => {
    const result = (await loader({
      request: new Request(`http://localhost/stores/${store}`),
      params: { store: String(store) },
      context: context(),
    })) as unknown as { data: Page };
    return result.data;
  };

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
    jobs = createInProcessQueue();
    pool = createModelPool({ threads: 1 });
    await loadGeneratedHistory(db, { stores: 4, seed: 5, tempPrefix: "components" });
    for (const store of [1, 2, 3]) await trainOne(db, pool, { store, productname: "product_A" });
  }, 120_000);
  afterAll(async () => {
    await pool?.close();
    await jobs?.close(1000);
    await db?.close();
  });

  it("takes the weekly forecast of a trained series apart into terms that add up to it", async () => {
    const page = await load(1);
    const weekly = page.chart.weekly!;
    expect(weekly.points).toHaveLength(7);
    const c = page.components;
    if (c === null || "unavailable" in c) throw new Error(`no components: ${JSON.stringify(c)}`);
    expect(c.modelVersion).toBe(weekly.modelVersion);
    expect(c.stage).toBe("production");
    expect(c.terms.map((t) => t.key).slice(0, 2)).toEqual(["trend", "weekly"]);
    // The generated stores have promotions: the model uses promo, and says what it adds.
    expect(c.terms.map((t) => t.key)).toContain("promo");
    expect(c.days.map((d) => d.date)).toEqual(weekly.points.map((p) => p.date));
    for (const [i, d] of c.days.entries()) {
      const sum = c.terms.reduce((s, t) => s + d.parts[t.key]!, 0);
      expect(rel(sum, d.yhat)).toBeLessThan(1e-6);
      // The panel explains the very numbers the chart shows (closed days are 0 in both).
      expect(rel(d.forecast, weekly.points[i]!.value)).toBeLessThan(1e-6);
      if (!d.open) expect(weekly.points[i]!.value).toBe(0);
    }
    const components = c.sentences.map((s) => s.component);
    expect(components.slice(0, 2)).toEqual(["trend", "weekly"]);
    expect(components).toContain("promo");
    expect(c.sentences.find((s) => s.component === "promo")!.text).toMatch(
      /^(Promo adds about \d+% on promo days \(\d days? this week\)|No promo this week; a promo day would add about \d+%)\.$/,
    );
  });

  it("has no components for a series with no forecast yet", async () => {
    const page = await load(4);
    expect(page.chart.weekly).toBeNull();
    expect(page.components).toBeNull();
  });

  it("says so in the panel, and still shows the page, when the forecast's version is gone or broken", async () => {
    // The forecast rows name a version the registry no longer has.
    await db.sql.query("UPDATE forecast_results SET model_version = 99 WHERE store = 2");
    expect((await load(2)).components).toEqual({
      unavailable: "Version 99, which made this forecast, is no longer in the registry.",
    });
    // A stored model the predictor cannot read (store 3's version was never compiled in this process).
    await db.sql.query(
      `UPDATE model_versions SET params = '{"config": {}}'::jsonb
        WHERE model_id = (SELECT id FROM registered_models WHERE store = 3)`,
    );
    const page = await load(3);
    expect(page.chart.weekly).not.toBeNull();
    expect(page.components).toEqual({ unavailable: "The components of version 1's forecast could not be computed." });
  });
});
