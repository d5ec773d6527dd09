/**
 * The audit log on a real database (PGlite with the migrations): appended, read newest first,
 * filtered and paged; and never changed: the table refuses UPDATE, DELETE and TRUNCATE.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit, pageAudit, recordAudit } from "../../../app/audit/log.server.js";
import type { Principal } from "../../../app/auth/principal.js";
import type { ValidationError } from "../../../app/errors.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";

const ann: Principal = { kind: "user", id: "1", name: "ann", role: "admin" };
const airflow: Principal = { kind: "token", id: "7", name: "airflow", role: "operator" };

describe("the audit log", () => {
  let db: Database;
  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
    await recordAudit(db, { actor: ann, action: "user.create", target: "user bob", detail: { role: "viewer" } });
    await recordAudit(db, { actor: airflow, action: "train-all.start", target: "every series", ip: "10.0.0.7" });
    await recordAudit(db, { actor: ann, action: "user.role", target: "user bob", detail: { from: "viewer" } });
    await recordAudit(db, { actor: ann, action: "users", target: "not a user.* action" });
    await recordAudit(db, { actor: ann, action: "trainXall.start", target: "a LIKE wildcard would match this" });
    await recordAudit(db, { actor: airflow, action: "model.promote", target: "store 1 product_A version 2" });
  });
  afterAll(async () => db?.close());

  it("reads entries newest first, with who, what, target, detail, when and from where", async () => {
    const all = await listAudit(db, { limit: 100 });
    expect(all.map((e) => e.action)).toEqual([
      "model.promote",
      "trainXall.start",
      "users",
      "user.role",
      "train-all.start",
      "user.create",
    ]);
    expect(all[4]).toMatchObject({
      actor: { kind: "token", id: "7", name: "airflow" },
      target: "every series",
      detail: null,
      ip: "10.0.0.7",
    });
    expect(all[5]!.detail).toEqual({ role: "viewer" });
    expect(all[5]!.at).toBeInstanceOf(Date);
  });

  it("filters by action prefix (whole dot-separated words, wildcards literal) and by actor", async () => {
    const actions = async (action: string) => (await listAudit(db, { action, limit: 100 })).map((e) => e.action);
    expect(await actions("user")).toEqual(["user.role", "user.create"]);
    expect(await actions("user.role")).toEqual(["user.role"]);
    expect(await actions("users")).toEqual(["users"]);
    expect(await actions("train-all")).toEqual(["train-all.start"]);
    // `_` and `%` are no wildcards.
    expect(await actions("train_all")).toEqual([]);
    expect(await actions("%")).toEqual([]);
    expect((await listAudit(db, { actor: "airflow", limit: 100 })).map((e) => e.action)).toEqual([
      "model.promote",
      "train-all.start",
    ]);
    expect(await listAudit(db, { actor: "airflow", action: "user", limit: 100 })).toEqual([]);
  });

  it("pages by id: each page's `next` is the next page's `before`; the last page has none", async () => {
    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = await pageAudit(db, { limit: 4, before });
      seen.push(...page.entries.map((e) => e.action));
      if (page.next === null) break;
      expect(page.entries).toHaveLength(4);
      before = page.next;
    }
    expect(seen).toEqual((await listAudit(db, { limit: 100 })).map((e) => e.action));
    expect((await pageAudit(db, { limit: 6 })).next).toBeNull();
    const err = await listAudit(db, { before: "1; DROP TABLE audit_log", limit: 5 }).catch((e: unknown) => e);
    expect((err as ValidationError).field).toBe("before");
  });

  it("is never changed: UPDATE, DELETE and TRUNCATE fail, and every entry is still there", async () => {
    const before = await listAudit(db, { limit: 100 });
    await expect(db.sql.query("UPDATE audit_log SET actor_name = 'someone else'")).rejects.toThrow(/append-only/);
    await expect(db.sql.query("UPDATE audit_log SET target = NULL WHERE id = -1")).rejects.toThrow(/append-only/);
    await expect(db.sql.query("DELETE FROM audit_log WHERE action = 'user.create'")).rejects.toThrow(/append-only/);
    await expect(db.sql.query("TRUNCATE audit_log")).rejects.toThrow(/append-only/);
    expect(await listAudit(db, { limit: 100 })).toEqual(before);
  });
});
