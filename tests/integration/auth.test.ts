/**
 * Who may do what, through real servers: the gate (nobody signed in reaches only sign-in, probes
 * and docs), roles per route through API tokens and sessions, sessions revoked on sign-out, CSRF
 * tokens on page forms, the cross-site guard on every route that has an action (found in the
 * build, so a new route is covered the day it is added), and the start-up modes.
 */
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { ServerBuild } from "@remix-run/node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { listAudit } from "../../app/audit/log.server.js";
import { createAccount, setDisabled } from "../../app/auth/accounts.server.js";
import type { Role } from "../../app/auth/principal.js";
import { createApiToken, revokeApiToken } from "../../app/auth/tokens.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { bearer, csrfOf, signIn } from "../support/auth.js";
import { createScratchDatabase } from "../support/databases.js";
import { freePort, ROOT, type RunningServer, spawnServer, startServer, tempDir } from "../support/processes.js";

const ADMIN_PASSWORD = "integration-admin-password";
const SMALL = {
  GENERATE_STORES: "4",
  GENERATE_DAYS: "60",
  GENERATE_SEED: "3",
  AUTO_TRAIN: "false",
  SCHEDULES: "false",
};
const EVIL = "http://evil.example";

/** Every route that has an action, as a path with sample parameters. */
async function actionPaths(): Promise<string[]> {
  const build = (await import(pathToFileURL(path.join(ROOT, "build/server/index.js")).href)) as ServerBuild;
  const { routes } = build;
  const full = (id: string): string => {
    const r = routes[id]!;
    const parent = r.parentId ? full(r.parentId) : "";
    return r.path ? `${parent}/${r.path}`.replace(/\/+/g, "/") : parent;
  };
  const sample: Record<string, string> = { store: "1", product: "product_A", version: "1", id: "1" };
  return Object.keys(routes)
    .filter((id) => routes[id]!.module.action)
    .map((id) =>
      full(id)
        .replace(/:(\w+)/g, (_, name: string) => sample[name] ?? "x")
        .replace("*", "x"),
    );
}

describe("auth on (Postgres)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let db: Database;
  let server: RunningServer;
  const tokens: Partial<Record<Role, string>> = {};

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_auth");
    server = await startServer({ DATABASE_URL: scratch.url, AUTH: "on", ADMIN_PASSWORD, ...SMALL }, 180_000);
    db = await openDatabase({ databaseUrl: scratch.url, migrate: false, poolSize: 2 });
    for (const role of ["viewer", "planner", "operator"] as const) {
      tokens[role] = (await createApiToken(db, { name: `${role}-bot`, role, createdBy: "test" })).token;
    }
  }, 240_000);
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await db?.close();
    await scratch?.drop();
  });

  const call = (p: string, init: RequestInit = {}) => fetch(`${server.url}${p}`, { redirect: "manual", ...init });
  const as = (role: Role, method = "GET", body?: unknown) => ({
    method,
    headers: { ...bearer(tokens[role]!), "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

  it("lets nobody signed in reach more than sign-in, the probes and the docs", async () => {
    const home = await call("/stores?store=2");
    expect(home.status).toBe(303);
    expect(home.headers.get("location")).toBe("/sign-in?next=%2Fstores%3Fstore%3D2");
    const api = await call("/api/stores");
    expect(api.status).toBe(401);
    expect(api.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expect(await api.json()).toMatchObject({ details: { field: "authorization" } });
    // The reference's routes answer in FastAPI's shape.
    const seed = await call("/api/forecasters/health");
    expect(seed.status).toBe(401);
    expect(await seed.json()).toEqual({ detail: expect.stringMatching(/sign in or send an API token/) });
    for (const open of ["/healthz", "/readyz", "/sign-in", "/api/docs", "/api/openapi.json"]) {
      expect((await call(open)).status, open).toBe(200);
    }
    const train = await call("/api/train-all", { method: "POST" });
    expect(train.status).toBe(401);
  });

  it("refuses an unknown or revoked bearer token with 401, never falling back to anonymous", async () => {
    expect((await call("/api/stores", { headers: bearer("sc_not-a-token") })).status).toBe(401);
    const { token, info } = await createApiToken(db, { name: "short-lived", role: "operator", createdBy: "test" });
    expect((await call("/api/stores", { headers: bearer(token) })).status).toBe(200);
    await revokeApiToken(db, info.id);
    expect((await call("/api/stores", { headers: bearer(token) })).status).toBe(401);
  });

  it("gives each role what it may do and 403 beyond it, the reference routes included", async () => {
    expect((await call("/api/stores", as("viewer"))).status).toBe(200);
    const viewerRetrain = await call("/api/models/1/product_A/retrain", as("viewer", "POST"));
    expect(viewerRetrain.status).toBe(403);
    expect(await viewerRetrain.json()).toMatchObject({ details: { field: "role" } });

    expect((await call("/api/models/1/product_A/retrain", as("planner", "POST"))).status).toBe(202);
    const plannerTrainAll = await call("/api/train-all", as("planner", "POST"));
    expect(plannerTrainAll.status).toBe(403);
    expect(await plannerTrainAll.json()).toMatchObject({ details: { required: "operator" } });
    expect((await call("/api/models/1/product_A/versions/1/promote", as("planner", "POST"))).status).toBe(403);
    expect((await call("/api/pipeline-runs/1/retry", as("planner", "POST"))).status).toBe(403);
    expect((await call("/api/train-all", as("operator", "POST"))).status).toBe(202);

    // The reference's routes with a token: a planner forecasts and retrains one series, an operator trains all.
    const forecast = await call(
      "/api/forecasters/forecast",
      as("planner", "POST", [{ store_id: "1", product_name: "product_A" }]),
    );
    expect(forecast.status).not.toBe(401);
    expect(forecast.status).not.toBe(403);
    expect((await call("/api/forecasters/forecast", as("viewer", "POST", []))).status).toBe(403);
    expect((await call("/api/trainers/1/product_A/train", as("planner", "POST"))).status).toBe(200);
    const seedTrainAll = await call("/api/trainers/train", as("planner", "POST"));
    expect(seedTrainAll.status).toBe(403);
    expect(await seedTrainAll.json()).toEqual({ detail: expect.stringMatching(/operator/) });
    expect((await call("/api/trainers/train", as("operator", "POST"))).status).toBe(200);

    // Each was recorded: who (the token), what, to which series.
    const entries = await listAudit(db, { limit: 50 });
    expect(entries).toContainEqual(
      expect.objectContaining({
        actor: expect.objectContaining({ kind: "token", name: "planner-bot" }),
        action: "model.retrain",
        target: "store 1 product product_A",
      }),
    );
    expect(entries.filter((e) => e.action === "train-all.start").map((e) => e.actor.name)).toContain("operator-bot");
    expect(entries.some((e) => e.actor.name === "viewer-bot")).toBe(false);
  });

  it("signs in with a password, carries a CSRF token in forms, and signs out for good", async () => {
    const wrong = await call("/sign-in", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: server.url },
      body: new URLSearchParams({
        _csrf: csrfOf(await (await call("/sign-in")).text()),
        username: "admin",
        password: "nope-nope-nope",
      }),
    });
    expect(wrong.status).toBe(401);
    const cookie = await signIn(server.url, "admin", ADMIN_PASSWORD);
    const page = await call("/pipelines", { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain("admin");
    const form = (extra: Record<string, string>) => ({
      method: "POST",
      headers: { cookie, origin: server.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "train-all", ...extra }),
    });
    // Without the token, or with another session's, the form is refused.
    expect((await call("/pipelines", form({}))).status).toBe(403);
    expect((await call("/pipelines", form({ _csrf: "forged" }))).status).toBe(403);
    expect((await call("/pipelines", form({ _csrf: csrfOf(html) }))).status).toBe(303);

    const out = await call("/sign-out", {
      method: "POST",
      headers: { cookie, origin: server.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfOf(html) }),
    });
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toMatch(/storecast_session=;.*Max-Age=0/);
    // The old cookie, replayed, is a revoked session.
    expect((await call("/pipelines", { headers: { cookie } })).status).toBe(303);
    expect((await call("/api/stores", { headers: { cookie } })).status).toBe(401);
  });

  it("keeps a viewer's session to reading, and ends a disabled user's sessions", async () => {
    const viewer = await createAccount(db, { username: "vera", password: "vera-password-1", role: "viewer" });
    const cookie = await signIn(server.url, "vera", "vera-password-1");
    const html = await (await call("/pipelines", { headers: { cookie } })).text();
    const post = await call("/pipelines", {
      method: "POST",
      headers: { cookie, origin: server.url, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ intent: "train-all", _csrf: csrfOf(html) }),
    });
    expect(post.status).toBe(403);
    expect((await call("/api/models/1/product_A/retrain", { method: "POST", headers: { cookie } })).status).toBe(403);
    // Forecasts for other dates run on the model threads: a planner's, also on the page and its CSV link.
    // Dates inside the forecast window, so that the role is what refuses them.
    const day = (n: number) => new Date(Date.now() + n * 86_400_000).toISOString().slice(0, 10);
    const dates = `product=product_A&begin=${day(30)}&end=${day(36)}`;
    const adhocPage = await call(`/stores/1?${dates}`, { headers: { cookie } });
    expect(adhocPage.status).toBe(400);
    expect(await adhocPage.text()).toContain("need the planner role (vera is a viewer)");
    const csv = await call(`/stores/1/forecast.csv?${dates}`, { headers: { cookie } });
    expect(csv.status).toBe(400);
    expect(await csv.text()).toContain("planner");
    expect((await call("/stores/1?product=product_A", { headers: { cookie } })).status).toBe(200);
    await setDisabled(db, viewer.id, true);
    expect((await call("/api/stores", { headers: { cookie } })).status).toBe(401);
  });

  it("refuses a cross-site request on every route that has an action, even with a valid session", async () => {
    const cookie = await signIn(server.url, "admin", ADMIN_PASSWORD);
    const paths = await actionPaths();
    expect(paths).toContain("/api/train-all");
    expect(paths).toContain("/pipelines");
    const before = (await listAudit(db, { action: "train-all", limit: 100 })).length;
    for (const p of paths) {
      for (const method of ["POST", "PUT", "DELETE"]) {
        const forged = await call(p, {
          method,
          headers: { cookie, origin: EVIL, "content-type": "text/plain" },
          body: "intent=train-all",
        });
        expect(forged.status, `${method} ${p}`).toBe(403);
        const type = forged.headers.get("content-type") ?? "";
        expect(type, `${method} ${p}`).toMatch(p.startsWith("/api") ? /json/ : /html/);
      }
      // No Origin, but the browser says the request is cross-site (some fetches omit Origin).
      const site = await call(p, { method: "POST", headers: { cookie, "sec-fetch-site": "cross-site" } });
      expect(site.status, `Sec-Fetch-Site ${p}`).toBe(403);
    }
    // Nothing was started by any of them.
    expect((await listAudit(db, { action: "train-all", limit: 100 })).length).toBe(before);
  });
});

describe("start-up modes", () => {
  it("with auth off (the loopback default) serves everyone, and still refuses cross-site requests", async () => {
    const dir = tempDir("auth-open");
    const server = await startServer({ PGLITE_DIR: `${dir}/pglite`, DATA_DIR: dir, ...SMALL }, 180_000);
    try {
      expect((await fetch(`${server.url}/api/stores`)).status).toBe(200);
      expect(server.output()).toMatch(/auth is off/);
      const forged = await fetch(`${server.url}/api/train-all`, {
        method: "POST",
        headers: { origin: EVIL, "content-type": "text/plain" },
        body: "{}",
      });
      expect(forged.status).toBe(403);
      const own = await fetch(`${server.url}/api/train-all`, { method: "POST", headers: { origin: server.url } });
      expect(own.status).toBe(202);
    } finally {
      await server.stop("SIGKILL");
    }
  }, 240_000);

  const refusal = async (env: Record<string, string>) => {
    const dir = tempDir("auth-refuse");
    const proc = spawnServer({
      PGLITE_DIR: `${dir}/pglite`,
      DATA_DIR: dir,
      PORT: String(await freePort()),
      ...SMALL,
      ...env,
    });
    const code = await proc.exited;
    return { code, lines: proc.output().trim().split("\n") };
  };

  it("refuses to start open on an address others can reach, in one clear line", async () => {
    const noAdmin = await refusal({ HOST: "0.0.0.0" });
    expect(noAdmin.code).toBe(1);
    expect(noAdmin.lines.at(-1)).toMatch(
      /^storecast: auth is on \(HOST=0\.0\.0\.0\) and no admin exists: set ADMIN_PASSWORD/,
    );
    const forcedOff = await refusal({ HOST: "0.0.0.0", AUTH: "off" });
    expect(forcedOff.code).toBe(1);
    expect(forcedOff.lines.at(-1)).toMatch(/AUTH: off is allowed only with a loopback HOST/);
    const weak = await refusal({ HOST: "0.0.0.0", ADMIN_PASSWORD: "short" });
    expect(weak.code).toBe(1);
    expect(weak.lines.at(-1)).toMatch(/ADMIN_PASSWORD: expected at least 12 characters$/);
  }, 120_000);
});
