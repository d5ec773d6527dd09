import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { runScript, type ScriptRun } from "../support/processes.js";
import { migrationFiles } from "../support/schema-match.js";

const baseUrl = process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL;

/** `npm run db:migrate` with DATABASE_URL set, killed after `limitMs`. */
function runMigrate(databaseUrl: string, limitMs = 60_000): Promise<ScriptRun> {
  return runScript(
    "scripts/migrate.ts",
    [],
    { DATABASE_URL: databaseUrl, DB_CONNECT_TIMEOUT_MS: "5000", NODE_ENV: "test" },
    limitMs,
  );
}

describe("npm run db:migrate (scripts/migrate.ts)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;

  beforeAll(async () => {
    scratch = await createScratchDatabase(baseUrl, "storecast_cli");
  });
  afterAll(async () => {
    await scratch?.drop();
  });

  it("applies the migrations to a new database, then has nothing to apply", async () => {
    const names = (await migrationFiles()).map((f) => f.name);

    const first = await runMigrate(scratch.url);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`/${scratch.name}`);
    for (const name of names) expect(first.stdout).toMatch(new RegExp(`^\\s*applied\\s+${name}$`, "m"));
    expect(first.stdout).toContain(`applied ${names.length}, 0 already applied`);

    const second = await runMigrate(scratch.url);
    expect(second.stderr).toBe("");
    expect(second.code).toBe(0);
    for (const name of names) expect(second.stdout).toMatch(new RegExp(`^\\s*already applied\\s+${name}$`, "m"));
    expect(second.stdout).toContain(`nothing to apply, ${names.length} already applied`);

    const db = await openDatabase({ databaseUrl: scratch.url, migrate: false });
    try {
      expect(await db.pendingMigrations()).toEqual([]);
      const rows = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
      expect(rows[0]?.n).toBe(names.length);
    } finally {
      await db.close();
    }
  });

  it("fails with one line naming the database when it cannot reach it", async () => {
    const run = await runMigrate("postgresql://x:y@127.0.0.1:1/db", 30_000);
    console.info(`db:migrate against an unreachable database exited in ${run.ms} ms`);
    expect(run.signal).toBeNull(); // it exited by itself, not killed by the limit
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    const lines = run.stderr.trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^db:migrate: .*127\.0\.0\.1:1\/db/);
    expect(run.stderr).not.toMatch(/^\s+at /m);
    expect(run.stderr).not.toContain("y@"); // no password
  });

  it("fails with one line on an invalid DATABASE_URL", async () => {
    const run = await runMigrate("not a url");
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split("\n")).toEqual([
      "db:migrate: Invalid environment variable DATABASE_URL: expected a postgres://user:password@host:port/database URL",
    ]);
  });
});
