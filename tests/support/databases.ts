import { randomBytes } from "node:crypto";
import { type Database, openDatabase } from "../../app/platform/db.server.js";

/** What scripts/start-postgres.sh creates; the integration suite uses DATABASE_URL when set. */
export const DEFAULT_TEST_DATABASE_URL = "postgresql://storecast:storecast@127.0.0.1:5432/storecast_test";

/** `url` with its sessions' search_path set to `schema` (a scratch schema in a shared database). */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set("options", `-c search_path=${schema}`);
  return u.toString();
}

/**
 * A new, empty Postgres database next to the one `baseUrl` names, dropped by dispose(). The
 * role in `baseUrl` needs CREATEDB.
 */
export async function createScratchDatabase(
  baseUrl: string,
  prefix: string,
): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const admin = await openDatabase({ databaseUrl: baseUrl, migrate: false, poolSize: 1 });
  const name = `${prefix}_${randomBytes(6).toString("hex")}`;
  try {
    await admin.sql.exec(`CREATE DATABASE "${name}"`);
  } catch (err) {
    await admin.close();
    throw err;
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      try {
        await admin.sql.exec(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.close();
      }
    },
  };
}

/**
 * A migrated database of its own on the integration suite's Postgres (DATABASE_URL, else the
 * default), for contract suites whose reads span every series; dispose() closes and drops it.
 */
export async function openScratchPostgres(prefix: string): Promise<{ db: Database; dispose(): Promise<void> }> {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, prefix);
  const db = await openDatabase({ databaseUrl: scratch.url });
  return {
    db,
    async dispose() {
      await db.close();
      await scratch.drop();
    },
  };
}
