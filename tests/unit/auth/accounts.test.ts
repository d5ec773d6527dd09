/**
 * Local accounts on a real database (PGlite with the migrations): creation, passwords (the user's
 * own change and an admin's reset, each revoking other sessions), and role and disabled changes
 * that never leave the install without an enabled admin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AccountError,
  activeAdmins,
  changeAccount,
  changePassword,
  checkPassword,
  createAccount,
  ensureAdmin,
  findAccount,
  listAccounts,
  resetPassword,
} from "../../../app/auth/accounts.server.js";
import { createSession, sessionPrincipal } from "../../../app/auth/sessions.server.js";
import { type Database, openDatabase } from "../../../app/platform/db.server.js";

const PASSWORD = "correct horse battery";
const NEW_PASSWORD = "staple of a longer phrase";

/** The AccountError a promise rejects with (fails the test when it resolves or throws another). */
async function accountError(p: Promise<unknown>): Promise<AccountError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AccountError);
  return err as AccountError;
}

describe("accounts", () => {
  let db: Database;
  let n = 0;
  /** A fresh user name per test: the tests share one database. */
  const name = (what: string) => `${what}-${++n}`;

  beforeAll(async () => {
    db = await openDatabase({ pgliteDir: "memory://" });
  });
  afterAll(async () => db?.close());

  it("creates a local account and signs it in by password only", async () => {
    const username = name("ann");
    const account = await createAccount(db, { username, password: PASSWORD, role: "planner" });
    expect(account).toMatchObject({ username, role: "planner", disabledAt: null, singleSignOn: false });
    expect(await findAccount(db, account.id)).toEqual(account);
    expect((await listAccounts(db)).map((a) => a.username)).toContain(username);
    expect(await checkPassword(db, username, PASSWORD)).toMatchObject({ id: account.id });
    expect(await checkPassword(db, username, `${PASSWORD}!`)).toBeNull();
    expect(await checkPassword(db, "nobody-at-all", PASSWORD)).toBeNull();
  });

  it("refuses a taken name, a bad name and a short password, naming the field", async () => {
    const username = name("bob");
    await createAccount(db, { username, password: PASSWORD, role: "viewer" });
    const taken = await accountError(createAccount(db, { username, password: PASSWORD, role: "viewer" }));
    expect(taken).toMatchObject({ field: "username", conflict: true });
    expect(
      (await accountError(createAccount(db, { username: "no spaces", password: PASSWORD, role: "viewer" }))).field,
    ).toBe("username");
    expect(
      (await accountError(createAccount(db, { username: name("carl"), password: "short", role: "viewer" }))).field,
    ).toBe("password");
  });

  it("changes the user's own password after checking the current one; other sessions are revoked", async () => {
    const account = await createAccount(db, { username: name("dora"), password: PASSWORD, role: "viewer" });
    const here = await createSession(db, { userId: account.id, ttlHours: 1 });
    const elsewhere = await createSession(db, { userId: account.id, ttlHours: 1 });

    const wrong = await accountError(
      changePassword(db, { userId: account.id, current: "not the password", password: NEW_PASSWORD }),
    );
    expect(wrong.field).toBe("current");
    const short = await accountError(
      changePassword(db, { userId: account.id, current: PASSWORD, password: "short", keepSession: here.id }),
    );
    expect(short.field).toBe("password");
    // Refused changes change nothing.
    expect(await sessionPrincipal(db, elsewhere.token)).not.toBeNull();
    expect(await checkPassword(db, account.username, PASSWORD)).not.toBeNull();

    await changePassword(db, { userId: account.id, current: PASSWORD, password: NEW_PASSWORD, keepSession: here.id });
    expect(await checkPassword(db, account.username, PASSWORD)).toBeNull();
    expect(await checkPassword(db, account.username, NEW_PASSWORD)).toMatchObject({ id: account.id });
    expect(await sessionPrincipal(db, here.token)).toMatchObject({ principal: { name: account.username } });
    expect(await sessionPrincipal(db, elsewhere.token)).toBeNull();
  });

  it("resets someone's password: all their sessions end; an unknown account is null", async () => {
    const account = await createAccount(db, { username: name("eve"), password: PASSWORD, role: "operator" });
    const session = await createSession(db, { userId: account.id, ttlHours: 1 });
    expect(await resetPassword(db, account.id, NEW_PASSWORD)).toMatchObject({ id: account.id });
    expect(await sessionPrincipal(db, session.token)).toBeNull();
    expect(await checkPassword(db, account.username, NEW_PASSWORD)).not.toBeNull();
    expect(await resetPassword(db, 999_999, NEW_PASSWORD)).toBeNull();
    expect((await accountError(resetPassword(db, account.id, "short"))).field).toBe("password");
  });

  it("has no password to change or reset for a single sign-on account", async () => {
    const [row] = await db.sql.query<{ id: number }>(
      "INSERT INTO users (username, role, oidc_subject) VALUES ($1, 'viewer', $2) RETURNING id",
      [name("sso"), `subject-${n}`],
    );
    expect(
      (await accountError(changePassword(db, { userId: row!.id, current: "", password: NEW_PASSWORD }))).field,
    ).toBe("current");
    expect((await accountError(resetPassword(db, row!.id, NEW_PASSWORD))).field).toBe("password");
  });

  it("changes a role, disables (signing out everywhere) and re-enables an account", async () => {
    const account = await createAccount(db, { username: name("fay"), password: PASSWORD, role: "viewer" });
    const session = await createSession(db, { userId: account.id, ttlHours: 1 });
    const promoted = await changeAccount(db, account.id, { role: "operator" });
    expect(promoted?.before.role).toBe("viewer");
    expect(promoted?.after.role).toBe("operator");
    expect(await sessionPrincipal(db, session.token)).toMatchObject({ principal: { role: "operator" } });

    const disabled = await changeAccount(db, account.id, { disabled: true });
    expect(disabled?.after.disabledAt).toBeInstanceOf(Date);
    expect(await sessionPrincipal(db, session.token)).toBeNull();
    expect(await checkPassword(db, account.username, PASSWORD)).toBeNull();

    const enabled = await changeAccount(db, account.id, { disabled: false });
    expect(enabled?.after).toMatchObject({ disabledAt: null, role: "operator" });
    expect(await checkPassword(db, account.username, PASSWORD)).not.toBeNull();
    // The session a disabling ended stays ended.
    expect(await sessionPrincipal(db, session.token)).toBeNull();
    expect(await changeAccount(db, 999_999, { role: "admin" })).toBeNull();
  });

  describe("the last enabled admin", () => {
    // The tests above made no admin: these start with none.
    it("can be neither demoted nor disabled; with a second admin either can", async () => {
      const first = await createAccount(db, { username: "root-1", password: PASSWORD, role: "admin" });
      expect(await activeAdmins(db)).toBe(1);
      const demote = await accountError(changeAccount(db, first.id, { role: "operator" }));
      expect(demote).toMatchObject({ field: "role", conflict: true });
      expect(demote.message).toContain("last enabled admin");
      expect((await accountError(changeAccount(db, first.id, { disabled: true }))).field).toBe("disabled");
      expect(await findAccount(db, first.id)).toMatchObject({ role: "admin", disabledAt: null });
      // Staying an enabled admin is no demotion.
      expect((await changeAccount(db, first.id, { role: "admin", disabled: false }))?.after.role).toBe("admin");

      const second = await createAccount(db, { username: "root-2", password: PASSWORD, role: "viewer" });
      await changeAccount(db, second.id, { role: "admin" });
      expect(await activeAdmins(db)).toBe(2);
      await changeAccount(db, first.id, { role: "viewer" });
      // Now the second is the last one.
      expect((await accountError(changeAccount(db, second.id, { role: "planner" }))).field).toBe("role");
      // A disabled admin does not count: re-enable none, promote the first again, then disable one.
      await changeAccount(db, first.id, { role: "admin" });
      await changeAccount(db, second.id, { disabled: true });
      expect(await activeAdmins(db)).toBe(1);
      expect((await accountError(changeAccount(db, first.id, { disabled: true }))).field).toBe("disabled");
    });

    it("holds when two admins demote each other at once: exactly one change goes through", async () => {
      const a = await createAccount(db, { username: "pair-a", password: PASSWORD, role: "admin" });
      const b = await createAccount(db, { username: "pair-b", password: PASSWORD, role: "admin" });
      // Leave a and b as the only enabled admins.
      for (const account of await listAccounts(db)) {
        if (account.id !== a.id && account.id !== b.id && account.role === "admin") {
          await changeAccount(db, account.id, { role: "viewer" });
        }
      }
      const results = await Promise.allSettled([
        changeAccount(db, a.id, { role: "viewer" }),
        changeAccount(db, b.id, { role: "viewer" }),
      ]);
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
      expect(results.filter((r) => r.status === "rejected" && r.reason instanceof AccountError)).toHaveLength(1);
      expect(await activeAdmins(db)).toBe(1);
    });
  });

  it("ADMIN_PASSWORD on replicas starting together: one creates the admin, the others find it, none fails", async () => {
    const admin = name("admin");
    const outcomes = await Promise.all([1, 2, 3].map(() => ensureAdmin(db, admin, PASSWORD)));
    expect(outcomes.sort()).toEqual(["created", "unchanged", "unchanged"]);
    expect(await checkPassword(db, admin, PASSWORD)).toMatchObject({ username: admin, role: "admin" });
  });
});
