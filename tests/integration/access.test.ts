/**
 * Who may do what, through the production server with auth on (`tsx server.ts` on the Remix
 * build; run `npm run build` first): API tokens created by an admin and scoped to a role, revoked
 * to a 401; the admin pages refused below admin (reading and posting); the last admin kept; a
 * password change ending the user's other sessions; the audit log read by operators. Page forms
 * post as a browser does: with the page's CSRF token and the server's Origin.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { changeAccount, createAccount } from "../../app/auth/accounts.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { BrowserSession, textAt } from "../support/browser-session.js";
import { createScratchDatabase } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";

const ADMIN_PASSWORD = "admin-password-of-the-tests";
const PASSWORD = "a password of the tests";
const SMALL = { GENERATE_STORES: "3", GENERATE_DAYS: "40", AUTO_TRAIN: "false", STREAM_PRODUCER: "false" };

interface ErrorBody {
  error: string;
  details: Record<string, unknown>;
}
interface TokenBody {
  id: number;
  name: string;
  role: string;
  prefix: string;
  token: string;
  revokedAt: string | null;
}
interface AuditBody {
  entries: { id: number; actor: { kind: string; name: string }; action: string; target: string | null }[];
  next: number | null;
}

async function call(base: string, method: string, path: string, init: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: "manual",
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // a page, not JSON
  }
  return { status: res.status, body, headers: res.headers };
}

describe("auth on: tokens, the admin pages, the last admin, passwords and the audit log", () => {
  let server: RunningServer;
  let admin: BrowserSession;
  const base = () => server.url;

  /** A user made through the admin page (so its creation is audited), signed in in a fresh session. */
  async function userSession(username: string, role: string): Promise<BrowserSession> {
    const made = await admin.post("/admin", { intent: "create", username, password: PASSWORD, role });
    expect(made.status, textAt(made.html, 'data-testid="refusal"') ?? "").toBe(200);
    const session = new BrowserSession(base());
    await session.signIn(username, PASSWORD);
    return session;
  }

  const audit = async (query: string) => (await admin.api("GET", `/api/audit?${query}`)).body as AuditBody;

  beforeAll(async () => {
    const dir = tempDir("access");
    server = await startServer({ AUTH: "on", ADMIN_PASSWORD, PGLITE_DIR: `${dir}/pglite`, DATA_DIR: dir, ...SMALL });
    admin = new BrowserSession(server.url);
    await admin.signIn("admin", ADMIN_PASSWORD);
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("an admin creates a planner token through the API: its bearer has the planner's rights, 403 above, 401 once revoked", async () => {
    const created = await admin.api("POST", "/api/tokens", { name: "planner-bot", role: "planner" });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.headers.get("cache-control")).toBe("no-store");
    const token = created.body as TokenBody;
    expect(token).toMatchObject({ name: "planner-bot", role: "planner", revokedAt: null });
    expect(token.token).toMatch(/^sc_[\w-]{43}$/);
    // Listed from then on, never with its secret.
    const list = await admin.api("GET", "/api/tokens");
    expect((list.body as { tokens: TokenBody[] }).tokens.map((t) => t.name)).toContain("planner-bot");
    expect(JSON.stringify(list.body)).not.toContain(token.token);

    const bearer = { token: token.token };
    const stores = await call(base(), "GET", "/api/stores", bearer);
    expect(stores.status).toBe(200);
    const store = (stores.body as { stores: { store: number }[] }).stores[0]!.store;
    // A planner retrains a series...
    const retrain = await call(base(), "POST", `/api/models/${store}/product_A/retrain`, bearer);
    expect(retrain.status, JSON.stringify(retrain.body)).toBe(202);
    // ...but nothing above: train-all (native and reference-compatible), promote, the log, tokens, the admin page.
    const above: [string, string, number][] = [
      ["POST", "/api/train-all", 403],
      ["POST", `/api/models/${store}/product_A/versions/1/promote`, 403],
      ["GET", "/api/audit", 403],
      ["GET", "/api/tokens", 403],
      ["POST", "/api/tokens", 403],
      ["GET", "/admin", 403],
      ["GET", "/audit", 403],
    ];
    for (const [method, path, status] of above) {
      const res = await call(base(), method, path, { ...bearer, body: method === "POST" ? {} : undefined });
      expect(res.status, `${method} ${path}`).toBe(status);
      if (path.startsWith("/api/")) expect((res.body as ErrorBody).details.field, path).toBe("role");
    }
    const seed = await call(base(), "POST", "/api/trainers/train", bearer);
    expect(seed.status).toBe(403);
    expect(seed.body).toMatchObject({ detail: expect.stringContaining("operator") });

    // The log says who: the admin made the token, the token asked for the retrain.
    const log = await audit("limit=100");
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        action: "token.create",
        target: "token planner-bot",
        actor: expect.objectContaining({ kind: "user", name: "admin" }),
      }),
    );
    expect(log.entries).toContainEqual(
      expect.objectContaining({
        action: "model.retrain",
        actor: expect.objectContaining({ kind: "token", name: "planner-bot" }),
      }),
    );

    const revoked = await admin.api("DELETE", `/api/tokens/${token.id}`);
    expect(revoked.status).toBe(200);
    expect((revoked.body as TokenBody).revokedAt).not.toBeNull();
    const after = await call(base(), "GET", "/api/stores", bearer);
    expect(after.status).toBe(401);
    expect((after.body as ErrorBody).details.field).toBe("authorization");
    expect((await audit("action=token.revoke")).entries[0]).toMatchObject({ target: "token planner-bot" });

    // A second revocation, an unknown id and a bad one are refused, naming what.
    expect((await admin.api("DELETE", `/api/tokens/${token.id}`)).status).toBe(409);
    const unknown = await admin.api("DELETE", "/api/tokens/999999");
    expect(unknown.status).toBe(404);
    expect((unknown.body as ErrorBody).details.entity).toBe("token");
    expect(((await admin.api("DELETE", "/api/tokens/abc")).body as ErrorBody).details.field).toBe("id");
  });

  it("refuses a token body that is not {name, role}, naming the field", async () => {
    const cases: [unknown, string][] = [
      [undefined, "body"],
      [{}, "name"],
      [{ name: "x" }, "role"],
      [{ name: "x", role: "root" }, "role"],
      [{ name: "   ", role: "viewer" }, "name"],
      [{ name: "x".repeat(101), role: "viewer" }, "name"],
      [{ name: "nul\u0000byte", role: "viewer" }, "name"],
      [{ name: 7, role: "viewer" }, "name"],
    ];
    for (const [body, field] of cases) {
      const res = await admin.api("POST", "/api/tokens", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.body as ErrorBody).details.field, JSON.stringify(body)).toBe(field);
    }
    const text = await admin.request("/api/tokens", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    expect(text.status).toBe(415);
    // Nobody signed in: 401, and a foreign page's request: 403.
    expect((await call(base(), "GET", "/api/tokens")).status).toBe(401);
    const forged = await admin.request("/api/tokens", {
      method: "POST",
      headers: { "content-type": "application/json", origin: "http://evil.example" },
      body: JSON.stringify({ name: "forged", role: "admin" }),
    });
    expect(forged.status).toBe(403);
    const names = (await admin.api("GET", "/api/tokens")).body as { tokens: TokenBody[] };
    expect(names.tokens.map((t) => t.name)).not.toContain("forged");
  });

  it("shows a token made on the page once, with a copy hint, and never again; revoking it on the page ends it", async () => {
    const page = await admin.post("/admin/tokens", { intent: "create", name: "dag runner", role: "operator" });
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const secret = /data-testid="new-token"[^>]*value="(sc_[^"]+)"|value="(sc_[^"]+)"[^>]*data-testid="new-token"/.exec(
      page.html,
    );
    const token = secret?.[1] ?? secret?.[2] ?? "";
    expect(token).toMatch(/^sc_/);
    expect(page.html).toContain("never show it again");
    expect((await call(base(), "GET", "/api/audit?limit=1", { token })).status).toBe(200);

    const later = await admin.get("/admin/tokens");
    expect(later.status).toBe(200);
    expect(later.html).toContain("dag runner");
    expect(later.html).not.toContain(token);

    const id = ((await admin.api("GET", "/api/tokens")).body as { tokens: TokenBody[] }).tokens.find(
      (t) => t.name === "dag runner",
    )!.id;
    const revoked = await admin.post("/admin/tokens", { intent: "revoke", id: String(id) });
    expect(revoked.status).toBe(200);
    expect(textAt(revoked.html, 'data-testid="done"')).toContain("revoked");
    expect((await call(base(), "GET", "/api/stores", { token })).status).toBe(401);
    const again = await admin.post("/admin/tokens", { intent: "revoke", id: String(id) });
    expect(again.status).toBe(409);
    expect(textAt(again.html, 'data-testid="refusal"')).toContain("revoked already");
    expect((await audit("action=token&actor=admin")).entries.map((e) => e.target)).toContain("token dag runner");
  });

  it("keeps a viewer out of /admin, reading and posting; an operator reads the audit log but may not post to /admin", async () => {
    const viewer = await userSession("vera", "viewer");
    expect((await viewer.get("/admin")).status).toBe(403);
    expect((await viewer.get("/admin/tokens")).status).toBe(403);
    expect((await viewer.get("/audit")).status).toBe(403);
    expect((await viewer.api("GET", "/api/audit")).status).toBe(403);
    const promote = { intent: "role", id: "1", role: "viewer" };
    expect((await viewer.post("/admin", promote, { from: "/account" })).status).toBe(403);
    expect(
      (await viewer.post("/admin/tokens", { intent: "create", name: "v", role: "admin" }, { from: "/account" })).status,
    ).toBe(403);
    expect((await viewer.api("POST", "/api/tokens", { name: "v", role: "admin" })).status).toBe(403);

    // The gate refuses a viewer's posts already; an operator passes it, and the admin routes refuse it themselves.
    const operator = await userSession("otto", "operator");
    expect((await operator.get("/admin")).status).toBe(403);
    const vera = await operator.post("/admin", { intent: "role", id: "1", role: "operator" }, { from: "/audit" });
    expect(vera.status).toBe(403);
    const disable = await operator.post("/admin", { intent: "disable", id: "1" }, { from: "/audit" });
    expect(disable.status).toBe(403);
    const made = await operator.post(
      "/admin/tokens",
      { intent: "create", name: "o", role: "admin" },
      { from: "/audit" },
    );
    expect(made.status).toBe(403);
    expect((await operator.api("POST", "/api/tokens", { name: "o", role: "admin" })).status).toBe(403);
    expect((await operator.api("DELETE", "/api/tokens/1")).status).toBe(403);
    // Nothing changed: the admin is still an enabled admin, no token named o exists.
    expect((await admin.get("/admin")).status).toBe(200);
    const tokens = (await admin.api("GET", "/api/tokens")).body as { tokens: TokenBody[] };
    expect(tokens.tokens.map((t) => t.name)).not.toContain("o");

    const page = await operator.get("/audit?action=user");
    expect(page.status).toBe(200);
    const actions = [...page.html.matchAll(/data-testid="action">([^<]+)</g)].map((m) => m[1]);
    expect(actions).toContain("user.create");
    expect(actions.every((a) => a!.startsWith("user."))).toBe(true);
    const api = await operator.api("GET", "/api/audit?action=user.create&limit=1");
    expect(api.status).toBe(200);
    const body = api.body as AuditBody;
    expect(body.entries).toHaveLength(1);
    expect(body.entries[0]).toMatchObject({ action: "user.create", target: "user otto", actor: { name: "admin" } });
    expect(body.next).toEqual(expect.any(Number));
    const older = (await operator.api("GET", `/api/audit?action=user.create&limit=1&before=${body.next}`))
      .body as AuditBody;
    expect(older.entries[0]).toMatchObject({ target: "user vera" });
    // The log has no way to change it.
    expect((await operator.post("/audit", { intent: "delete" })).status).toBe(405);
    for (const method of ["POST", "DELETE", "PUT"]) expect((await operator.api(method, "/api/audit")).status).toBe(405);
  });

  it("refuses bad audit filters, naming them", async () => {
    for (const [query, field] of [
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["before=abc", "before"],
      ["action=%25", "action"],
      ["actor=a%00b", "actor"],
    ]) {
      const res = await admin.api("GET", `/api/audit?${query}`);
      expect(res.status, query).toBe(400);
      expect((res.body as ErrorBody).details.field, query).toBe(field);
    }
    // The page shows the problem and the log unfiltered, not an error.
    const page = await admin.get("/audit?before=abc&actor=a%00b");
    expect(page.status).toBe(200);
    expect(page.html).toContain("That page does not exist");
  });

  it("never demotes or disables the last enabled admin; with a second admin it can be done", async () => {
    const self = await admin.post("/admin", { intent: "role", id: "1", role: "operator" });
    expect(self.status).toBe(409);
    expect(textAt(self.html, 'data-testid="refusal"')).toContain("last enabled admin");
    const disable = await admin.post("/admin", { intent: "disable", id: "1" });
    expect(disable.status).toBe(409);
    expect((await admin.get("/admin")).status).toBe(200);

    const second = await userSession("ada", "admin");
    const id = await idOf("ada");
    const demoted = await second.post("/admin", { intent: "role", id: "1", role: "operator" });
    expect(demoted.status).toBe(200);
    expect((await admin.get("/admin")).status).toBe(403);
    // Now ada is the last one.
    expect((await second.post("/admin", { intent: "role", id, role: "viewer" })).status).toBe(409);
    expect((await second.post("/admin", { intent: "disable", id })).status).toBe(409);
    expect((await second.post("/admin", { intent: "role", id: "1", role: "admin" })).status).toBe(200);
    expect((await admin.get("/admin")).status).toBe(200);
    const roles = await audit("action=user.role");
    expect(roles.entries.map((e) => e.actor.name)).toEqual(["ada", "ada"]);
  });

  it("changes one's own password: other sessions end, this one stays; the old password stops working", async () => {
    const here = await userSession("pat", "planner");
    const there = new BrowserSession(base());
    await there.signIn("pat", PASSWORD);
    const newPassword = "pat's new longer password";

    const wrong = await here.post("/account", {
      current: "not it at all",
      password: newPassword,
      confirm: newPassword,
    });
    expect(wrong.status).toBe(400);
    expect(textAt(wrong.html, 'data-testid="refusal"')).toContain("current password is wrong");
    const differ = await here.post("/account", {
      current: PASSWORD,
      password: newPassword,
      confirm: `${newPassword}!`,
    });
    expect(differ.status).toBe(400);
    const short = await here.post("/account", { current: PASSWORD, password: "short", confirm: "short" });
    expect(short.status).toBe(400);
    expect((await there.get("/account")).status).toBe(200);

    const changed = await here.post("/account", { current: PASSWORD, password: newPassword, confirm: newPassword });
    expect(changed.status).toBe(200);
    expect(textAt(changed.html, 'data-testid="done"')).toContain("other sessions are signed out");
    expect((await here.get("/account")).status).toBe(200);
    const gone = await there.get("/account");
    expect(gone.status).toBe(303);
    expect(gone.location).toContain("/sign-in");
    expect((await there.api("GET", "/api/stores")).status).toBe(401);
    await expect(new BrowserSession(base()).signIn("pat", PASSWORD)).rejects.toThrow(/failed: 401/);
    await new BrowserSession(base()).signIn("pat", newPassword);
    expect((await audit("action=user.password&actor=pat")).entries).toHaveLength(1);

    // An admin's reset ends every session of the user.
    const reset = await admin.post("/admin", { intent: "password", id: await idOf("pat"), password: PASSWORD });
    expect(reset.status).toBe(200);
    expect((await here.get("/account")).status).toBe(303);
    await new BrowserSession(base()).signIn("pat", PASSWORD);
  });

  it("says who you are on the account page", async () => {
    const page = await admin.get("/account");
    expect(page.status).toBe(200);
    expect(page.html).toContain("admin");
    expect(page.html).toContain("users and API tokens");
    expect(page.html).toContain('name="current"');
  });

  async function idOf(username: string): Promise<string> {
    const html = (await admin.get("/admin")).html;
    const id = new RegExp(`data-user="${username}"[\\s\\S]*?name="id" value="(\\d+)"`).exec(html)?.[1];
    if (!id) throw new Error(`no user ${username} on /admin`);
    return id;
  }
});

describe("auth off (the loopback quick start)", () => {
  let server: RunningServer;
  beforeAll(async () => {
    const dir = tempDir("access-off");
    server = await startServer({ PGLITE_DIR: `${dir}/pglite`, DATA_DIR: dir, ...SMALL });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("says on the account page that auth is off, and has no password to change", async () => {
    const page = await new BrowserSession(server.url).get("/account");
    expect(page.status).toBe(200);
    expect(textAt(page.html, 'data-testid="auth-off"')).toContain("Auth is off");
    expect(page.html).not.toContain('name="current"');
    const post = await new BrowserSession(server.url).post(
      "/account",
      { current: "x", password: "y", confirm: "y" },
      { from: "/pipelines" },
    );
    expect(post.status).toBe(400);
  });

  it("audits what anyone does, as the open principal", async () => {
    const made = await call(server.url, "POST", "/api/tokens", { body: { name: "for later", role: "viewer" } });
    expect(made.status).toBe(201);
    const log = (await call(server.url, "GET", "/api/audit?action=token")).body as AuditBody;
    expect(log.entries[0]).toMatchObject({ action: "token.create", actor: { kind: "open" } });
  });
});

describe.runIf(process.env.DATABASE_URL)("the last admin on Postgres, under concurrent changes", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_access");
    db = await openDatabase({ databaseUrl: scratch.url, poolSize: 4 });
  });
  afterAll(async () => {
    await db?.close();
    await scratch?.drop();
  });

  it("two admins demoting or disabling each other at once: exactly one change goes through, every time", async () => {
    for (let round = 0; round < 10; round++) {
      const a = await createAccount(db, { username: `a${round}`, password: PASSWORD, role: "admin" });
      const b = await createAccount(db, { username: `b${round}`, password: PASSWORD, role: "admin" });
      if (round > 0) {
        // Leave a and b as the only enabled admins.
        await changeAccount(db, (await idByName(db, `a${round - 1}`))!, { disabled: true }).catch(() => {});
        await changeAccount(db, (await idByName(db, `b${round - 1}`))!, { disabled: true }).catch(() => {});
      }
      const results = await Promise.allSettled([
        changeAccount(db, a.id, round % 2 ? { disabled: true } : { role: "viewer" }),
        changeAccount(db, b.id, round % 2 ? { disabled: true } : { role: "viewer" }),
      ]);
      expect(results.map((r) => r.status).sort(), `round ${round}`).toEqual(["fulfilled", "rejected"]);
      const [row] = await db.sql.query<{ n: number }>(
        "SELECT count(*)::int AS n FROM users WHERE role = 'admin' AND disabled_at IS NULL",
      );
      expect(row!.n, `round ${round}`).toBe(1);
    }
  });
});

async function idByName(db: Database, username: string): Promise<number | undefined> {
  const [row] = await db.sql.query<{ id: number }>("SELECT id FROM users WHERE username = $1", [username]);
  return row?.id;
}
