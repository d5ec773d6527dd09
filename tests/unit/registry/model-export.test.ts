/**
 * Export and import of a model version (app/registry/model-document.ts, model-export.server.ts): a
 * version trained on one PGlite, exported by the route, imported into a second PGlite, forecasts the
 * same plan days to 1e-6; and what a bad document, an unknown version or another format gets.
 */
import type { AppLoadContext } from "@remix-run/node";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay } from "../../../app/days.js";
import { DEFAULT_CONFIG, type HistoryDay, type PlanDay, type StoredModel } from "../../../app/model/config.js";
import { compilePredictor, forecastWithPredictor } from "../../../app/model/predictor.js";
import { initProphet, trainModel } from "../../../app/model/prophet.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";
import {
  MODEL_DOCUMENT_FORMAT,
  type ModelDocument,
  parseModelDocument,
  parseModelDocumentText,
} from "../../../app/registry/model-document.js";
import { importModelDocument } from "../../../app/registry/model-export.server.js";
import { registerVersion } from "../../../app/registry/register.server.js";
import { getVersion, listVersions } from "../../../app/registry/versions.server.js";
import { loader } from "../../../app/routes/_pages+/models.$store.$product_.versions.$version.export.js";
import { generateSalesDays } from "../../../app/sales/generator/sales-model.js";
import { END } from "../../support/model-days.js";

const STORE = 5;
const PRODUCT = "product_A";
const endDay = parseDay(END)!;

function history(days: number): HistoryDay[] {
  return [...generateSalesDays({ stores: STORE, products: 1, days, endDate: END, seed: 7 })]
    .map((d) => d.rows[STORE - 1]!)
    .map(({ date, sales, open, promo, stateholiday, schoolholiday }) => ({
      date,
      sales,
      open,
      promo,
      stateholiday,
      schoolholiday,
    }))
    .reverse();
}

/** 14 days after the training window with every regressor varying, Sundays closed. */
const PLAN: PlanDay[] = Array.from({ length: 14 }, (_, i) => ({
  date: formatDay(endDay + 1 + i),
  open: isoWeekday(endDay + 1 + i) === 7 ? 0 : 1,
  promo: (i % 3 === 0 ? 1 : 0) as 0 | 1,
  stateholiday: i === 5 ? "a" : "0",
  schoolholiday: (i < 4 ? 1 : 0) as 0 | 1,
}));

async function exportOf(ctx: AppLoadContext, store: string, product: string, version: string): Promise<Response> {
  const url = `http://localhost/models/${store}/${product}/versions/${version}/export`;
  return loader({ request: new Request(url), params: { store, product, version }, context: ctx });
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function issueOf(fn: () => unknown): { field: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { field: (err as { field: string }).field, message: (err as Error).message };
  }
  throw new Error("expected a ValidationError");
}

describe("model export and import", () => {
  let source: Database;
  let target: Database;
  let ctx: AppLoadContext;
  let doc: ModelDocument;
  let text: string;

  beforeAll(async () => {
    initProphet();
    [source, target] = await Promise.all([
      openDatabase({ pgliteDir: "memory://" }),
      openDatabase({ pgliteDir: "memory://" }),
    ]);
    ctx = { db: source, log: pino({ level: "silent" }) } as unknown as AppLoadContext;
    const r = trainModel(history(150), { ...DEFAULT_CONFIG, cvFolds: 2 });
    // Two versions, so the one exported (1) is not simply the newest.
    for (let i = 0; i < 2; i++) {
      await registerVersion(source, {
        store: STORE,
        productname: PRODUCT,
        config: r.model.config,
        params: r.model,
        trainStart: r.trainStart,
        trainEnd: r.trainEnd,
        trainRows: r.trainRows,
        cv: r.cv,
        durationMs: Math.round(r.durationMs),
        pipelineRunId: null,
      });
    }
    const res = await exportOf(ctx, String(STORE), PRODUCT, "1");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="storecast-model-${STORE}-${PRODUCT}-v1.json"`,
    );
    text = await res.text();
    doc = parseModelDocumentText(text);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([source?.close(), target?.close()]);
  });

  it("exports the version's window, config, fitted model, CV metrics and origin", async () => {
    const v = (await getVersion(source, STORE, PRODUCT, 1))!;
    expect(doc.format).toBe(MODEL_DOCUMENT_FORMAT);
    console.info(`model-export: the document of a 150-day series is ${text.length} bytes`);
    expect(text.length).toBeLessThan(100_000);
    expect(doc.series).toEqual({ store: STORE, productname: PRODUCT });
    expect(doc.training).toEqual({
      train_start: v.trainStart,
      train_end: v.trainEnd,
      train_rows: v.trainRows,
      duration_ms: v.durationMs,
    });
    expect(doc.params).toEqual(v.params);
    expect(doc.config).toEqual(v.config);
    expect(doc.cv).toEqual(v.cv);
    expect(doc.cv?.folds).toHaveLength(2);
    expect(doc.created_at).toBe(v.createdAt.toISOString());
    expect(doc.source).toMatchObject({ app: "storecast", version: 1, stage: "archived", url: "http://localhost" });
  });

  it("imports as a new version on another database that forecasts the same to 1e-6", async () => {
    const imported = await importModelDocument(target, doc, { promote: false });
    // The series had no model there: its first version goes to production even without --promote.
    expect(imported).toMatchObject({ store: STORE, productname: PRODUCT, version: 1, stage: "production" });
    expect(imported.cv).toEqual(doc.cv);
    expect({ start: imported.trainStart, end: imported.trainEnd, rows: imported.trainRows }).toEqual({
      start: doc.training.train_start,
      end: doc.training.train_end,
      rows: doc.training.train_rows,
    });
    const [a, b] = await Promise.all([getVersion(source, STORE, PRODUCT, 1), getVersion(target, STORE, PRODUCT, 1)]);
    const want = forecastWithPredictor(compilePredictor(a!.params as StoredModel), PLAN);
    const got = forecastWithPredictor(compilePredictor(b!.params as StoredModel), PLAN);
    expect(want.filter((p) => p.value > 0).length).toBeGreaterThan(10);
    expect(got.map((p) => p.date)).toEqual(want.map((p) => p.date));
    for (const [i, w] of want.entries()) {
      for (const k of ["value", "lower", "upper"] as const) {
        expect(Math.abs(got[i]![k] - w[k])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(w[k])));
      }
    }
  });

  it("registers a later import archived unless promoted", async () => {
    const archived = await importModelDocument(target, doc, { promote: false });
    expect(archived).toMatchObject({ version: 2, stage: "archived", promotedAt: null });
    const promoted = await importModelDocument(target, doc, { promote: true });
    expect(promoted).toMatchObject({ version: 3, stage: "production" });
    const stages = (await listVersions(target, STORE, PRODUCT)).map((v) => [v.version, v.stage]);
    expect(stages).toEqual([
      [3, "production"],
      [2, "archived"],
      [1, "archived"],
    ]);
  });

  it("answers 404 JSON for an unknown series or version, 400 for a bad path", async () => {
    for (const [store, product, version, entity] of [
      [String(STORE), PRODUCT, "9", "version"],
      [String(STORE), "product_Z", "1", "version"],
      ["777", PRODUCT, "1", "version"],
    ] as const) {
      const res = await exportOf(ctx, store, product, version);
      expect(res.status).toBe(404);
      expect(res.headers.get("content-type")).toMatch(/json/);
      expect(await res.json()).toMatchObject({ details: { entity } });
    }
    const bad = await exportOf(ctx, String(STORE), PRODUCT, "x");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ details: { field: "version" } });
  });

  it("refuses another format version by name", () => {
    expect(issueOf(() => parseModelDocument({ ...clone(doc), format: "storecast-model/2" }))).toEqual({
      field: "format",
      message: 'format: expected "storecast-model/1", got "storecast-model/2"',
    });
    expect(issueOf(() => parseModelDocument({ series: doc.series })).field).toBe("format");
  });

  it("refuses a malformed document naming the field", () => {
    expect(issueOf(() => parseModelDocumentText("{not json")).field).toBe("document");
    expect(issueOf(() => parseModelDocumentText("[1]")).field).toBe("document");
    const cases: [string, (d: ModelDocument) => void][] = [
      ["series.store", (d) => Object.assign(d.series, { store: "5" })],
      ["training.train_end", (d) => Object.assign(d.training, { train_end: "2015-13-40" })],
      ["params.training.dates[3]", (d) => (d.params.training.dates[3] = "yesterday")],
      ["params.params.delta", (d) => Object.assign(d.params.params, { delta: null })],
      ["params.weekdayOpen", (d) => d.params.weekdayOpen.pop()],
      ["cv.mean.rmspe", (d) => Object.assign(d.cv!.mean, { rmspe: "high" })],
      ["extra", (d) => Object.assign(d, { extra: 1 })],
    ];
    for (const [field, spoil] of cases) {
      const d = clone(doc);
      spoil(d);
      const issue = issueOf(() => parseModelDocument(d));
      expect(issue.field, field).toBe(field);
      expect(issue.message.startsWith(`${field}: `), issue.message).toBe(true);
      if (field === "params.weekdayOpen") console.info(`model-export: ${issue.message}`);
    }
  });

  it("refuses a well-formed model the predictor cannot compile, writing nothing", async () => {
    const d = clone(doc);
    d.params.params.delta = d.params.params.delta.slice(1);
    const before = await listVersions(target, STORE, PRODUCT);
    await expect(importModelDocument(target, parseModelDocument(d), { promote: true })).rejects.toMatchObject({
      field: "params",
    });
    expect(await listVersions(target, STORE, PRODUCT)).toHaveLength(before.length);
  });
});
