import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { formatDay, todayDay } from "../../../app/days.js";
import { openDatabase } from "../../../app/platform/db.server.js";
import { writeGeneratedData } from "../../../app/sales/generator/csv-files.server.js";
import { STREAM_DAYS } from "../../../app/sales/generator/options.js";
import { loadHistory } from "../../../app/sales/history/load.server.js";
import { runScript, tempDir } from "../../support/processes.js";

describe("npm run train (scripts/train.ts)", () => {
  const dir = tempDir("train-cli");
  const env = { PGLITE_DIR: path.join(dir, "pglite"), MODEL_THREADS: "1" };

  beforeAll(async () => {
    const files = await writeGeneratedData({
      stores: 3,
      products: 1,
      days: 130,
      endDate: formatDay(todayDay() + STREAM_DAYS - 1),
      seed: 5,
      outDir: path.join(dir, "csv"),
    });
    const db = await openDatabase({ pgliteDir: env.PGLITE_DIR });
    await loadHistory(db, { csv: files.historyCsv, calendarCsv: files.calendarCsv });
    await db.close();
  });

  it("trains every series and says how it went", async () => {
    const run = await runScript("scripts/train.ts", [], env, 120_000);
    expect(run.stderr).toContain("train: 3/3 series (100%)");
    expect(run.stdout).toMatch(/run \d+ SUCCEEDED: 3 trained, 0 skipped, 0 failed of 3 series/);
    expect(run.code).toBe(0);
  });

  it("retrains one series into the next version", async () => {
    const run = await runScript("scripts/train.ts", ["--store", "2"], env, 120_000);
    expect(run.stdout).toContain("prophet-retail-forecaster-store-2-product_A version 2 is in production");
    expect(run.code).toBe(0);
  });

  it("exits 1 with one line for an unknown store or a bad option", async () => {
    const unknown = await runScript("scripts/train.ts", ["--store", "4242"], env, 120_000);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe("train: unknown store 4242");
    const bad = await runScript("scripts/train.ts", ["--kind", "magic"], env, 120_000);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--kind");
  });
});
