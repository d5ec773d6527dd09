/**
 * `npm run model:import` (scripts/model-import.ts) against Postgres: a document registers a version
 * (archived, or in production with --promote) and an audit entry; a bad file exits 1 with one line
 * naming the field and writes nothing. The round trip's forecast is in tests/unit/registry/model-export.test.ts.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG } from "../../app/model/config.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { MODEL_DOCUMENT_FORMAT, type ModelDocument } from "../../app/registry/model-document.js";
import { listVersions } from "../../app/registry/versions.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { runScript, type ScriptRun } from "../support/processes.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
const STORE = 12;
const PRODUCT = "product_C";

/** A small model the predictor compiles: two days, no features, a dummy changepoint. */
const config = { ...DEFAULT_CONFIG, minOpenDays: 2, weekly: false, regressors: [], yearly: false, cvFolds: 0 };
const DOC: ModelDocument = {
  format: MODEL_DOCUMENT_FORMAT,
  exported_at: "2026-12-07T10:00:00.000Z",
  source: {
    app: "storecast",
    instance: "elsewhere",
    model_name: `prophet-retail-forecaster-store-${STORE}-${PRODUCT}`,
    version: 4,
    stage: "production",
    pipeline_run_id: 7,
  },
  series: { store: STORE, productname: PRODUCT },
  created_at: "2026-12-01T03:00:00.000Z",
  training: { train_start: "2026-11-29", train_end: "2026-11-30", train_rows: 2, duration_ms: 120 },
  config,
  params: {
    config,
    training: { dates: ["2026-11-29", "2026-11-30"], y: [5000, 5200], x: {} },
    params: { k: 0.04, m: 0.96, sigmaObs: 0.03, delta: [0.02], beta: [0.5], trend: [0.96, 1], features: ["dummy"] },
    weekdayOpen: [1, 1, 1, 1, 1, 1, 1],
  },
  cv: null,
};

describe("npm run model:import (scripts/model-import.ts)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let dir: string;

  async function run(doc: unknown, ...flags: string[]): Promise<ScriptRun> {
    const file = path.join(dir, `doc-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, typeof doc === "string" ? doc : JSON.stringify(doc));
    return runScript("scripts/model-import.ts", [file, ...flags], { DATABASE_URL: scratch.url }, 60_000);
  }

  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_import");
    db = await openDatabase({ databaseUrl: scratch.url });
    dir = await mkdtemp(path.join(tmpdir(), "storecast-import-"));
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("registers the document, archived without --promote, in production with it, and audits it", async () => {
    const first = await run(DOC);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/version 1 \(production\) from .* version 4 of elsewhere/);
    const second = await run(DOC);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("version 2 (archived)");
    const third = await run(DOC, "--promote");
    expect(third.code).toBe(0);
    expect(third.stdout).toContain("version 3 (production)");
    const versions = await listVersions(db, STORE, PRODUCT);
    expect(versions.map((v) => [v.version, v.stage, v.trainRows, v.pipelineRunId])).toEqual([
      [3, "production", 2, null],
      [2, "archived", 2, null],
      [1, "archived", 2, null],
    ]);
    const audit = await db.sql.query<{ actor_kind: string; action: string; target: string }>(
      "SELECT actor_kind, action, target FROM audit_log ORDER BY id",
    );
    expect(audit).toHaveLength(3);
    expect(audit[2]).toEqual({
      actor_kind: "system",
      action: "model.import",
      target: `store ${STORE} product ${PRODUCT} version 3`,
    });
  });

  it("exits 1 with one line naming the field, writing nothing, for a bad file", async () => {
    const before = (await listVersions(db, STORE, PRODUCT)).length;
    const cases: [unknown, RegExp][] = [
      [{ ...DOC, format: "storecast-model/2" }, /^model:import: format: expected "storecast-model\/1"/],
      [{ ...DOC, series: { store: -1, productname: PRODUCT } }, /^model:import: series\.store: /],
      [{ ...DOC, params: { ...DOC.params, weekdayOpen: [1] } }, /^model:import: params\.weekdayOpen: /],
      // Well-formed, but a rate change too many for the predictor to compile.
      [
        { ...DOC, params: { ...DOC.params, params: { ...DOC.params.params, delta: [0.02, 0.01] } } },
        /^model:import: params: cannot compile a predictor/,
      ],
      ["{ truncated", /^model:import: document: not JSON/],
    ];
    for (const [doc, line] of cases) {
      const r = await run(doc);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe("");
      expect(r.stderr.trim().split("\n")).toHaveLength(1);
      expect(r.stderr).toMatch(line);
    }
    const missing = await runScript(
      "scripts/model-import.ts",
      [path.join(dir, "nope.json")],
      { DATABASE_URL: scratch.url },
      60_000,
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^model:import: cannot read .*nope\.json: ENOENT\n$/);
    expect(await listVersions(db, STORE, PRODUCT)).toHaveLength(before);
  });
});
