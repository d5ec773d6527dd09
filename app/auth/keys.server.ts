/** The key that signs session cookies and CSRF tokens: SESSION_SECRET, or one generated once per database. */
import type { Database } from "../platform/db.server.js";
import { newToken } from "./secrets.server.js";

/** Every replica on the same database reads the same key (the first to start creates it). */
export async function signingKey(db: Pick<Database, "sql">, configured?: string): Promise<string> {
  if (configured) return configured;
  await db.sql.query("INSERT INTO auth_keys (name, secret) VALUES ('session', $1) ON CONFLICT (name) DO NOTHING", [
    newToken(),
  ]);
  const [row] = await db.sql.query<{ secret: string }>("SELECT secret FROM auth_keys WHERE name = 'session'");
  return row!.secret;
}
