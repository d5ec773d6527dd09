/**
 * Contract suite for what the model version page and the compare view read (the registry's
 * version-detail.server.ts, forecasting's version-forecasts.server.ts) and their loaders' answers:
 * the same cases on PGlite (unit) and Postgres (integration), on a database of their own.
 */
import type { AppLoadContext } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, parseDay } from "../../app/days.js";
import {
  ACTUAL_CONTEXT_DAYS,
  forecastsAgainstActuals,
  MAX_STORED_FORECAST_DAYS,
} from "../../app/forecasting/version-forecasts.server.js";
import { PipelineRun } from "../../app/pipelines/runs.server.js";
import type { Database } from "../../app/platform/db.server.js";
import { registerVersion } from "../../app/registry/register.server.js";
import { versionDetail, versionPair } from "../../app/registry/version-detail.server.js";
import { modelName } from "../../app/registry/versions.server.js";
import { loader as compareLoader } from "../../app/routes/_pages+/models.$store.$product_.compare.js";
import { loader as versionLoader } from "../../app/routes/_pages+/models.$store.$product_.versions.$version._index.js";

const STORE = 41;
const OTHER = 42;
const PRODUCT = "product_A";
/** The newest sales day of the laid-out history. */
const NEWEST = "2026-03-31";
const newest = parseDay(NEWEST)!;

const fold = (n: number) => ({
  fold: n,
  trainStart: "2026-01-01",
  trainEnd: formatDay(parseDay("2026-02-01")! + 7 * n),
  testStart: formatDay(parseDay("2026-02-02")! + 7 * n),
  testEnd: formatDay(parseDay("2026-02-08")! + 7 * n),
  testDays: 6,
  rmse: 100 + n,
  mape: 0.1 + n / 100,
  mae: 80 + n,
  mdae: 70 + n,
  rmspe: 0.12 + n / 100,
});

/** A stored model of the shape training writes (app/model's StoredModel), with its training series. */
const storedModel = (n: number) => ({
  config: { kind: "default", yearly: false, regressors: ["promo"], intervalWidth: 0.95 },
  training: { dates: ["2026-01-01", "2026-01-02"], y: [0.4, 0.6], x: { promo: [0, 1] } },
  params: {
    k: 0.1 * n,
    m: 0.5,
    sigmaObs: 0.02,
    delta: Array.from({ length: 25 }, (_, i) => i / 100),
    beta: [0.3, -0.1, 0.05],
    trend: [0.5, 0.51],
    features: ["weekly:sin1", "weekly:cos1", "promo"],
  },
  weekdayOpen: [1, 1, 1, 1, 1, 1, 0],
});

async function register(db: Database, store: number, n: number, pipelineRunId: number | null = null) {
  return registerVersion(db, {
    store,
    productname: PRODUCT,
    config: { kind: "default", trainDays: 120, regressors: ["promo", "schoolholiday"] },
    params: storedModel(n),
    trainStart: "2026-01-01",
    trainEnd: "2026-03-01",
    trainRows: 50 + n,
    cv: {
      folds: [fold(1), fold(2), fold(3)],
      mean: { rmse: 102, mape: 0.12, mae: 82, mdae: 72, rmspe: 0.14 + n / 100 },
    },
    durationMs: 900,
    pipelineRunId,
  });
}

/** Sales of a series for `days` days up to NEWEST (sales = 1000 + day of month). */
async function sales(db: Database, store: number, days: number) {
  await db.sql.query(
    `INSERT INTO rossman_sales (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
     SELECT $1, $2, d::date, extract(isodow FROM d)::int, 1000 + extract(day FROM d)::int, 10, 1, 0, '0', 0
       FROM generate_series($3::date - ($4::int - 1), $3::date, interval '1 day') AS d`,
    [store, PRODUCT, NEWEST, days],
  );
}

/** Stored forecast rows of a version for `days` days from `from` (value = 2000 + version). */
async function forecasts(db: Database, store: number, version: number, from: string, days: number) {
  await db.sql.query(
    `INSERT INTO forecast_results (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version)
     SELECT $1, $2, d::date, 2000 + $4::int, 1900, 2100, $3, $4
       FROM generate_series($5::date, $5::date + ($6::int - 1), interval '1 day') AS d`,
    [store, PRODUCT, modelName(store, PRODUCT), version, from, days],
  );
}

const ctx = (db: Database) => ({ db }) as unknown as AppLoadContext;

async function thrownStatus(p: Promise<unknown>): Promise<{ status: number; text: string }> {
  try {
    await p;
  } catch (thrown) {
    if (thrown instanceof Response) return { status: thrown.status, text: await thrown.text() };
    throw thrown;
  }
  throw new Error("expected a thrown response");
}

/** A loader's answer (a data() with a status, or plain data) as { status, body }. */
function answer(result: unknown): { status: number; body: Record<string, unknown> } {
  const r = result as { type?: string; data?: unknown; init?: { status?: number } };
  if (r && r.type === "DataWithResponseInit")
    return { status: r.init?.status ?? 200, body: r.data as Record<string, unknown> };
  return { status: 200, body: result as Record<string, unknown> };
}

export function describeVersionPages(name: string, open: () => Promise<{ db: Database; dispose(): Promise<void> }>) {
  describe(`model version pages' reads (${name})`, () => {
    let handle: { db: Database; dispose(): Promise<void> };
    let db: Database;
    let runId: number;

    beforeAll(async () => {
      handle = await open();
      db = handle.db;
      const run = await PipelineRun.start(db, "retrain");
      await run.finish("SUCCEEDED");
      runId = run.id;
      await register(db, STORE, 1);
      await register(db, STORE, 2, runId);
      await register(db, STORE, 3); // production, never forecast
      await register(db, OTHER, 1);
      await sales(db, STORE, 60);
      await sales(db, OTHER, 60);
      // Version 1 served 14 days ago for a week, version 2 the last week and the week to come.
      await forecasts(db, STORE, 1, formatDay(newest - 13), 7);
      await forecasts(db, STORE, 2, formatDay(newest - 6), 14);
      // Another series' forecasts under the same version numbers must not leak in.
      await forecasts(db, OTHER, 1, formatDay(newest - 13), 7);
    });
    afterAll(async () => {
      await handle?.dispose();
    });

    it("reads a version's configuration, fitted parameters, folds and run", async () => {
      const v = (await versionDetail(db, { store: STORE, productname: PRODUCT, version: 2 }))!;
      expect(v).toMatchObject({ version: 2, stage: "archived", trainRows: 52, pipelineRunId: runId });
      expect(v.config).toEqual({ kind: "default", trainDays: 120, regressors: ["promo", "schoolholiday"] });
      expect(v.folds.map((f) => f.fold)).toEqual([1, 2, 3]);
      expect(v.folds[1]).toEqual(fold(2));
      expect(v.fitted?.scalars.find((s) => s.name === "k")?.value).toBeCloseTo(0.2, 12);
      expect(v.fitted?.coefficients.map((c) => c.feature)).toEqual(["weekly:sin1", "weekly:cos1", "promo"]);
      expect(v.fitted?.arrays.find((a) => a.name === "delta")?.count).toBe(25);
      expect(v.fitted?.resolved.find((s) => s.name === "regressors")?.value).toBe("promo");
    });

    it("finds no version for an unknown version or series", async () => {
      expect(await versionDetail(db, { store: STORE, productname: PRODUCT, version: 9 })).toBeNull();
      expect(await versionDetail(db, { store: 999, productname: PRODUCT, version: 1 })).toBeNull();
      expect(await versionDetail(db, { store: STORE, productname: "product_Z", version: 1 })).toBeNull();
    });

    it("reads two versions and the list of all, with null for one that does not exist", async () => {
      const pair = await versionPair(db, { store: STORE, productname: PRODUCT }, 3, 7);
      expect(pair.versions.map((v) => v.version)).toEqual([3, 2, 1]);
      expect(pair.a?.stage).toBe("production");
      expect(pair.b).toBeNull();
      expect((await versionPair(db, { store: 999, productname: PRODUCT }, 1, 1)).versions).toEqual([]);
    });

    it("reads each version's stored forecasts and the actuals over them with weeks of context before", async () => {
      const got = await forecastsAgainstActuals(db, { store: STORE, productname: PRODUCT }, [1, 2, 3]);
      expect(got.forecasts.map((f) => [f.version, f.points.length])).toEqual([
        [1, 7],
        [2, 14],
        [3, 0],
      ]);
      expect(got.forecasts[0]!.points[0]).toEqual({
        date: formatDay(newest - 13),
        value: 2001,
        lower: 1900,
        upper: 2100,
      });
      // From ACTUAL_CONTEXT_DAYS before version 1's first day to the newest sales day (version 2's
      // last week has no actuals yet).
      expect(got.actuals[0]?.date).toBe(formatDay(newest - 13 - ACTUAL_CONTEXT_DAYS));
      expect(got.actuals.at(-1)).toEqual({ date: NEWEST, sales: 1031, open: 1 });
      expect(got.actuals).toHaveLength(14 + ACTUAL_CONTEXT_DAYS);
    });

    it("reads nothing for versions without stored forecasts, and keeps only the newest days of a long-serving version", async () => {
      const none = await forecastsAgainstActuals(db, { store: STORE, productname: PRODUCT }, [3]);
      expect(none).toEqual({ forecasts: [{ version: 3, points: [] }], actuals: [] });
      await forecasts(db, OTHER, 5, formatDay(newest - 99), 100);
      const long = await forecastsAgainstActuals(db, { store: OTHER, productname: PRODUCT }, [5]);
      expect(long.forecasts[0]!.points).toHaveLength(MAX_STORED_FORECAST_DAYS);
      expect(long.forecasts[0]!.points.at(-1)?.date).toBe(NEWEST);
    });

    it("version page loader: the version, its run; 404 for an unknown version, series or address", async () => {
      const args = (params: Record<string, string>) => ({
        request: new Request("http://x/"),
        params: { store: String(STORE), product: PRODUCT, ...params },
        context: ctx(db),
      });
      const page = await versionLoader(args({ version: "2" }));
      expect(page).toMatchObject({ version: 2, stage: "archived", production: 3, run: { id: runId, kind: "retrain" } });
      const missing = await thrownStatus(versionLoader(args({ version: "9" })));
      expect(missing).toEqual({
        status: 404,
        text: `There is no version 9 of the model of store ${STORE} ${PRODUCT}; its versions are 1 to 3.`,
      });
      expect(await thrownStatus(versionLoader(args({ store: "999", version: "1" })))).toMatchObject({ status: 404 });
      expect(await thrownStatus(versionLoader(args({ version: "latest" })))).toMatchObject({ status: 404 });
    });

    it("compare loader: metrics and forecasts; 400 naming a missing or unknown field; same version twice", async () => {
      const run = (query: string, store = STORE) =>
        compareLoader({
          request: new Request(`http://x/models/${store}/${PRODUCT}/compare?${query}`),
          params: { store: String(store), product: PRODUCT },
          context: ctx(db),
        });
      const ok = answer(await run("a=1&b=2"));
      expect(ok.status).toBe(200);
      const c = ok.body.comparison as {
        same: boolean;
        metrics: { key: string; difference: number }[];
        forecasts: unknown[];
      };
      expect(c.same).toBe(false);
      expect(c.metrics.find((m) => m.key === "cvRmspe")?.difference).toBeCloseTo(0.01, 12);
      expect(c.forecasts).toHaveLength(2);

      const same = answer(await run("a=2&b=2"));
      expect(same.status).toBe(200);
      expect((same.body.comparison as { same: boolean; forecasts: unknown[] }).same).toBe(true);
      expect((same.body.comparison as { forecasts: unknown[] }).forecasts).toHaveLength(1);

      for (const [query, field, message] of [
        ["b=2", "a", "a: choose a version to compare"],
        ["a=1&b=abc", "b", 'b: a version number is a positive integer, got "abc"'],
        ["a=1&b=9", "b", `b: there is no version 9 of store ${STORE} ${PRODUCT}`],
        ["a=0&b=1", "a", 'a: a version number is a positive integer, got "0"'],
      ] as const) {
        const refused = answer(await run(query));
        expect(refused.status, query).toBe(400);
        expect(refused.body.error, query).toEqual({ field, message });
        expect(refused.body.comparison).toBeNull();
        // The form still offers the series' versions.
        expect((refused.body.choices as unknown[]).length).toBe(3);
      }
      expect(await thrownStatus(run("a=1&b=1", 999))).toMatchObject({ status: 404 });
    });
  });
}
