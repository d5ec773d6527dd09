/**
 * Browser sessions: the cookie (signed, HttpOnly, SameSite=Lax, Secure over TLS) carries a random
 * token; the database keeps its SHA-256 with the account and an expiry, so a session can be revoked
 * (sign-out, a password change, a disabled account) on every replica at once.
 */
import { type Cookie, createCookie } from "@remix-run/node";
import type { Database } from "../platform/db.server.js";
import { isRole, type Principal } from "./principal.js";
import { newToken, sha256 } from "./secrets.server.js";

export const SESSION_COOKIE = "storecast_session";

/** The session cookie, signed with `key`; Secure when the request came over TLS. */
export function sessionCookie(key: string, opts: { secure: boolean; maxAgeS?: number }): Cookie {
  return createCookie(SESSION_COOKIE, {
    secrets: [key],
    httpOnly: true,
    sameSite: "lax",
    secure: opts.secure,
    path: "/",
    maxAge: opts.maxAgeS,
  });
}

/** Starts a session: the token to put in the cookie (only its hash is stored). */
export async function createSession(
  db: Pick<Database, "sql">,
  input: { userId: number; ttlHours: number; ip?: string },
): Promise<{ token: string; id: string; expiresAt: Date }> {
  const token = newToken();
  const id = sha256(token);
  const expiresAt = new Date(Date.now() + input.ttlHours * 3_600_000);
  await db.sql.query("INSERT INTO sessions (id, user_id, expires_at, ip) VALUES ($1, $2, $3, $4)", [
    id,
    input.userId,
    expiresAt,
    input.ip?.slice(0, 64) ?? null,
  ]);
  return { token, id, expiresAt };
}

/** The signed-in user of a session token, or null (unknown, expired, revoked, disabled). */
export async function sessionPrincipal(
  db: Pick<Database, "sql">,
  token: string,
): Promise<{ principal: Principal; sessionId: string } | null> {
  const id = sha256(token);
  const [row] = await db.sql.query<{ user_id: number; username: string; role: string }>(
    `SELECT s.user_id, u.username, u.role FROM sessions s JOIN users u ON u.id = s.user_id
     WHERE s.id = $1 AND s.revoked_at IS NULL AND s.expires_at > now() AND u.disabled_at IS NULL`,
    [id],
  );
  if (!row || !isRole(row.role)) return null;
  return {
    principal: { kind: "user", id: String(row.user_id), name: row.username, role: row.role },
    sessionId: id,
  };
}

export async function revokeSession(db: Pick<Database, "sql">, sessionId: string): Promise<void> {
  await db.sql.query("UPDATE sessions SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL", [sessionId]);
}
