/**
 * `npm run db:migrate`: applies pending prisma/migrations to DATABASE_URL (Postgres) or, when it
 * is unset, to the PGlite database in PGLITE_DIR, the same way the app does at start-up.
 * Exit code 0 when the database is up to date, 1 on any error (one line on stderr).
 */
import { ConfigError, loadConfig } from "../app/platform/config.server.js";
import { type Database, DatabaseUnreachableError, openDatabase } from "../app/platform/db.server.js";
import { MigrationError } from "../app/platform/migrate.server.js";

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();

async function main(): Promise<void> {
  const config = loadConfig();
  const db: Database = await openDatabase({
    databaseUrl: config.DATABASE_URL,
    pgliteDir: config.PGLITE_DIR,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    migrate: false,
  });
  try {
    console.log(`db:migrate: ${db.kind} at ${db.location}`);
    const { applied, alreadyApplied } = await db.migrate();
    for (const name of alreadyApplied) console.log(`  already applied  ${name}`);
    for (const name of applied) console.log(`  applied          ${name}`);
    console.log(
      applied.length === 0
        ? `db:migrate: nothing to apply, ${alreadyApplied.length} already applied`
        : `db:migrate: applied ${applied.length}, ${alreadyApplied.length} already applied`,
    );
  } finally {
    await db.close();
  }
}

try {
  await main();
} catch (err) {
  const known = err instanceof ConfigError || err instanceof DatabaseUnreachableError || err instanceof MigrationError;
  const message = err instanceof Error ? err.message || err.name : String(err);
  console.error(`db:migrate: ${known ? "" : "unexpected error: "}${oneLine(message)}`);
  if (!known && process.env.DEBUG && err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = 1;
}
