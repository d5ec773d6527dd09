/**
 * The compose producer's start (`scripts/producer.ts --load-history --ready-file F`): like the
 * reference system's producer it loads the history into an empty database, then streams; the ready
 * file (its container healthcheck) appears once both are done. Needs Postgres and KAFKA_BROKERS.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { runScript, tempDir } from "../support/processes.js";
import { uniqueName } from "../support/stream-cases.js";

const brokers = process.env.KAFKA_BROKERS;

describe.runIf(brokers)("producer --load-history", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_producer");
    db = await openDatabase({ databaseUrl: scratch.url });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it("loads the history into an empty database once, then streams; the ready file marks it", async () => {
    const dir = tempDir("producer-history");
    const ready = path.join(dir, "producer.ready");
    const env = {
      DATABASE_URL: scratch.url,
      DATA_DIR: dir,
      GENERATE_STORES: "5",
      GENERATE_SEED: "9",
      KAFKA_BROKERS: brokers as string,
      KAFKA_TOPIC: uniqueName("storecast-producer"),
      LOG_LEVEL: "warn",
    };
    const args = ["--load-history", "--ready-file", ready, "--count", "5", "--rate", "50"];
    const first = await runScript("scripts/producer.ts", args, env, 120_000);
    expect(first.stderr).toMatch(/^producer: history loaded: \d+ rows$/m);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^producer: sent 5 records/);
    expect(existsSync(ready)).toBe(true);
    const rows = async () =>
      (
        await db.sql.query<{ n: number; stores: number }>(
          "SELECT count(*)::int AS n, count(DISTINCT store)::int AS stores FROM rossman_sales",
        )
      )[0]!;
    const loaded = await rows();
    expect(loaded.stores).toBe(5);
    expect(loaded.n).toBeGreaterThan(5 * 100);

    const again = await runScript("scripts/producer.ts", args, env, 120_000);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/^producer: history already loaded$/m);
    expect(again.stderr).not.toContain("generated the stream rows");
    expect((await rows()).n).toBe(loaded.n);

    // Another container (a fresh data directory) finds the history loaded by someone else and
    // writes the stream rows it needs before it streams.
    const fresh = await runScript(
      "scripts/producer.ts",
      args,
      { ...env, DATA_DIR: tempDir("producer-fresh") },
      120_000,
    );
    expect(fresh.stderr).toMatch(/^producer: history already loaded$/m);
    expect(fresh.stderr).toMatch(/^producer: generated the stream rows in .*train_only_last_10d\.csv$/m);
    expect(fresh.code).toBe(0);
    expect(fresh.stdout).toMatch(/^producer: sent 5 records/);
    expect((await rows()).n).toBe(loaded.n);
  });

  it("an unreachable database stops it with one line and exit code 1, before it streams", async () => {
    const dir = tempDir("producer-history-down");
    const run = await runScript(
      "scripts/producer.ts",
      ["--load-history", "--ready-file", path.join(dir, "ready"), "--count", "1"],
      {
        DATABASE_URL: "postgresql://storecast:storecast@127.0.0.1:1/storecast",
        DB_CONNECT_TIMEOUT_MS: "1000",
        DATA_DIR: dir,
        KAFKA_BROKERS: brokers as string,
      },
    );
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split("\n")).toHaveLength(1);
    expect(run.stderr).toMatch(/^producer: cannot reach Postgres/);
    expect(existsSync(path.join(dir, "ready"))).toBe(false);
  });
});
