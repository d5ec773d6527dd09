import { rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { describeHistoryLoader, HEADER, row, runCli, salesCount, TODAY } from "../support/history-cases.js";
import { tempDir } from "../support/processes.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

describe("history loader on Postgres", () => {
  // A database of its own per run: starts empty, dropped afterwards, and shared with no other suite.
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_history");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  describeHistoryLoader(() => openDatabase({ databaseUrl: scratch!.url }));

  it("npm run load-history loads into DATABASE_URL and exits 2 when a row was skipped", async () => {
    const db = await openDatabase({ databaseUrl: scratch!.url });
    try {
      await db.sql.exec("TRUNCATE rossman_sales, store_calendar, stores");
      const fileDir = tempDir("history-pg-cli");
      const file = path.join(fileDir, "train.csv");
      writeFileSync(file, `${[HEADER, row({ store: 1 }), row({ store: 2, open: 5 }), row({ store: 3 })].join("\n")}\n`);
      const run = await runCli(["--csv", file, "--today", TODAY], { DATABASE_URL: scratch!.url });
      expect(run.stderr).toContain('line 3: Open: expected 0 or 1, got "5"');
      expect(run.code).toBe(2);
      expect(run.stdout).toMatch(/into postgres at /);
      expect(run.stdout).toMatch(/rows loaded\s+2$/m);
      expect(await salesCount(db)).toBe(2);
      rmSync(fileDir, { recursive: true, force: true });
    } finally {
      await db.close();
    }
  });
});
