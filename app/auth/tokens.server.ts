/**
 * API tokens for machines (the DAGs, scripts, Prometheus): `Authorization: Bearer sc_...`, created
 * and revoked by admins, shown once, stored as SHA-256, each scoped to a role.
 */
import { ValidationError } from "../errors.js";
import type { Database } from "../platform/db.server.js";
import { isRole, type Principal, ROLES, type Role } from "./principal.js";
import { newToken, sha256 } from "./secrets.server.js";

export const TOKEN_PREFIX = "sc_";

export interface ApiToken {
  id: number;
  name: string;
  /** The token's first characters, to recognise it. */
  prefix: string;
  role: Role;
  createdBy: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

interface TokenRow {
  id: number;
  name: string;
  prefix: string;
  role: string;
  created_by: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
  revoked_at: Date | string | null;
}

const COLUMNS = "id, name, prefix, role, created_by, created_at, last_used_at, revoked_at";
const date = (v: Date | string | null) => (v === null ? null : new Date(v));

function toToken(r: TokenRow): ApiToken {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    role: isRole(r.role) ? r.role : "viewer",
    createdBy: r.created_by,
    createdAt: new Date(r.created_at),
    lastUsedAt: date(r.last_used_at),
    revokedAt: date(r.revoked_at),
  };
}

/** A token's name: what it is for ("airflow", "prometheus"), as lists and the audit log show it. */
export const TOKEN_NAME = /^[^\p{Cc}\p{Cs}]{1,100}$/u;

/** Why a token name is refused, or null. */
export function tokenNameProblem(name: string): string | null {
  if (name.trim() === "") return "a token needs a name (what it is for)";
  return TOKEN_NAME.test(name) ? null : "a token name is 1 to 100 characters, without control characters";
}

/** Who created a token, as its list shows it: a user's name, `token <name>`, or the open principal's. */
export function creatorOf(principal: Principal): string {
  return principal.kind === "token" ? `token ${principal.name}` : principal.name;
}

/** Creates a token: the secret is in the answer and nowhere else (ValidationError for a bad name). */
export async function createApiToken(
  db: Pick<Database, "sql">,
  input: { name: string; role: Role; createdBy: string },
): Promise<{ token: string; info: ApiToken }> {
  const name = input.name.trim();
  const problem = tokenNameProblem(name);
  if (problem) throw new ValidationError("name", problem);
  if (!isRole(input.role)) throw new ValidationError("role", `expected one of ${ROLES.join(", ")}`);
  const token = newToken(TOKEN_PREFIX);
  const [row] = await db.sql.query<TokenRow>(
    `INSERT INTO api_tokens (name, token_hash, prefix, role, created_by) VALUES ($1, $2, $3, $4, $5)
     RETURNING ${COLUMNS}`,
    [name, sha256(token), token.slice(0, 8), input.role, input.createdBy.slice(0, 100)],
  );
  return { token, info: toToken(row!) };
}

export async function listApiTokens(db: Pick<Database, "sql">): Promise<ApiToken[]> {
  const rows = await db.sql.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens ORDER BY created_at DESC, id DESC`);
  return rows.map(toToken);
}

export async function findApiToken(db: Pick<Database, "sql">, id: number): Promise<ApiToken | null> {
  const [row] = await db.sql.query<TokenRow>(`SELECT ${COLUMNS} FROM api_tokens WHERE id = $1`, [id]);
  return row ? toToken(row) : null;
}

/** Revokes a token; null when there is no such live token (unknown, or revoked already). */
export async function revokeApiToken(db: Pick<Database, "sql">, id: number): Promise<ApiToken | null> {
  const [row] = await db.sql.query<TokenRow>(
    `UPDATE api_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL RETURNING ${COLUMNS}`,
    [id],
  );
  return row ? toToken(row) : null;
}

/** Minutes between last-used updates: a busy token is not a write per request. */
const LAST_USED_EVERY = "1 minute";

/** The principal of a bearer token, or null (unknown or revoked). */
export async function tokenPrincipal(db: Pick<Database, "sql">, token: string): Promise<Principal | null> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
  const [row] = await db.sql.query<TokenRow>(
    `SELECT ${COLUMNS} FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`,
    [sha256(token)],
  );
  if (!row || !isRole(row.role)) return null;
  const lastUsed = date(row.last_used_at);
  if (lastUsed === null || Date.now() - lastUsed.getTime() > 60_000) {
    await db.sql.query(
      `UPDATE api_tokens SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '${LAST_USED_EVERY}')`,
      [row.id],
    );
  }
  return { kind: "token", id: String(row.id), name: row.name, role: row.role };
}
