/** API tokens on a real database (PGlite with the migrations): shown once, stored hashed, scoped, revocable. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "../../../app/auth/secrets.server.js";
import {
  createApiToken,
  findApiToken,
  listApiTokens,
  revokeApiToken,
  TOKEN_PREFIX,
  tokenNameProblem,
  tokenPrincipal,
} from "../../../app/auth/tokens.server.js";
import { ValidationError } from "../../../app/errors.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";

describe("API tokens", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => db?.close());

  it("creates a token whose secret is stored only as its hash, and resolves its bearer to its role", async () => {
    const { token, info } = await createApiToken(db, { name: " airflow ", role: "planner", createdBy: "admin" });
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(token.length).toBeGreaterThanOrEqual(TOKEN_PREFIX.length + 43);
    expect(info).toMatchObject({ name: "airflow", role: "planner", createdBy: "admin", prefix: token.slice(0, 8) });
    expect(info.lastUsedAt).toBeNull();
    const [row] = await db.sql.query<{ token_hash: string }>("SELECT token_hash FROM api_tokens WHERE id = $1", [
      info.id,
    ]);
    expect(row!.token_hash).toBe(sha256(token));
    const stored = JSON.stringify(await db.sql.query("SELECT * FROM api_tokens"));
    expect(stored).not.toContain(token);

    expect(await tokenPrincipal(db, token)).toEqual({
      kind: "token",
      id: String(info.id),
      name: "airflow",
      role: "planner",
    });
    expect((await findApiToken(db, info.id))?.lastUsedAt).toBeInstanceOf(Date);
    expect(await tokenPrincipal(db, `${token}x`)).toBeNull();
    expect(await tokenPrincipal(db, token.slice(TOKEN_PREFIX.length))).toBeNull();
  });

  it("lists tokens newest first, without secrets", async () => {
    const a = await createApiToken(db, { name: "first", role: "viewer", createdBy: "admin" });
    const b = await createApiToken(db, { name: "second", role: "operator", createdBy: "ops" });
    const list = await listApiTokens(db);
    expect(list.map((t) => t.id).slice(0, 2)).toEqual([b.info.id, a.info.id]);
    expect(JSON.stringify(list)).not.toContain(a.token);
  });

  it("revokes a token: its bearer is refused; a second revocation or an unknown id is null", async () => {
    const { token, info } = await createApiToken(db, { name: "script", role: "operator", createdBy: "admin" });
    const revoked = await revokeApiToken(db, info.id);
    expect(revoked?.revokedAt).toBeInstanceOf(Date);
    expect(await tokenPrincipal(db, token)).toBeNull();
    expect(await revokeApiToken(db, info.id)).toBeNull();
    expect(await revokeApiToken(db, 999_999)).toBeNull();
    expect(await findApiToken(db, 999_999)).toBeNull();
    expect((await findApiToken(db, info.id))?.revokedAt).toBeInstanceOf(Date);
  });

  it("refuses a name that is empty, too long or holds control characters, naming the field", async () => {
    for (const name of ["", "   ", "x".repeat(101), "a\u0000b", "tab\there", "lone \ud800 surrogate"]) {
      expect(tokenNameProblem(name.trim()), JSON.stringify(name)).not.toBeNull();
      const err = await createApiToken(db, { name, role: "viewer", createdBy: "admin" }).catch((e: unknown) => e);
      expect(err, JSON.stringify(name)).toBeInstanceOf(ValidationError);
      expect((err as ValidationError).field).toBe("name");
    }
    expect(tokenNameProblem("Prometheus (scrape) é 🙂")).toBeNull();
    expect(tokenNameProblem("x".repeat(100))).toBeNull();
    const bad = await createApiToken(db, { name: "ok", role: "root" as never, createdBy: "admin" }).catch((e) => e);
    expect((bad as ValidationError).field).toBe("role");
  });
});
