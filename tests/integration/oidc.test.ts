/**
 * Single sign-on with OpenID Connect against a real provider (oidc-provider, in this process): the
 * whole redirect flow as a browser without JavaScript walks it, the role its claim names, the
 * session it leaves, and every way it can fail landing on the sign-in page (never a 500).
 * The storecast server is the production build (`npm run build` first) on a scratch Postgres database.
 */
import { createServer, type Server, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setDisabled } from "../../app/auth/accounts.server.js";
import { createOidcClient, type OidcSettings } from "../../app/auth/oidc.server.js";
import { SSO_FAILURES } from "../../app/auth/oidc-claims.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase, DEFAULT_TEST_DATABASE_URL } from "../support/databases.js";
import { browse, CookieJar, startOidcProvider, type TestProvider, walkProvider } from "../support/oidc.js";
import { freePort, type RunningServer, startServer } from "../support/processes.js";

const CLIENT_ID = "storecast";
const CLIENT_SECRET = "storecast-test-client-secret";
/** The provider's accounts (login name: extra claims); tests change them between sign-ins. */
const ACCOUNTS: Record<string, Record<string, unknown>> = {
  "ops-user": { storecast_role: "operator" },
  "view-user": { storecast_role: ["staff", "viewer"] },
  "plain-user": {},
  "gone-user": { storecast_role: "operator" },
  "fickle-user": { storecast_role: "operator" },
};

/** The text of the sign-in page as a person reads it (React's markup, regular enough for this). */
const textOf = (html: string) =>
  html
    .replace(/<script[\s\S]*?<\/script>/g, " ")
    .replace(/<!-- -->/g, "")
    .replace(/<[^>]+>/g, " ")
    .replace(/&#x27;/g, "'")
    .replace(/\s+/g, " ");

describe("single sign-on through a storecast server", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>> | undefined;
  let server: RunningServer | undefined;
  let provider: TestProvider | undefined;
  let db: Database | undefined;
  let providerPort: number;
  let base: string;
  let callback: string;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL || DEFAULT_TEST_DATABASE_URL, "storecast_oidc");
    providerPort = await freePort();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    callback = `${base}/auth/oidc/callback`;
    // The provider is not started yet: storecast must start anyway.
    server = await startServer({
      PORT: String(port),
      DATABASE_URL: scratch.url,
      AUTH: "on",
      ADMIN_PASSWORD: "admin-password-for-the-oidc-test",
      OIDC_ISSUER: `http://127.0.0.1:${providerPort}`,
      OIDC_CLIENT_ID: CLIENT_ID,
      OIDC_CLIENT_SECRET: CLIENT_SECRET,
      GENERATE_STORES: "3",
      GENERATE_DAYS: "60",
      AUTO_TRAIN: "false",
      STREAM_PRODUCER: "false",
      SCHEDULES: "false",
      MODEL_THREADS: "1",
    });
    db = await openDatabase({ databaseUrl: scratch.url, migrate: false, poolSize: 1 });
  });

  afterAll(async () => {
    await provider?.close();
    await server?.stop();
    await db?.close();
    await scratch?.drop();
  });

  const startProvider = async () => {
    provider ??= await startOidcProvider({
      port: providerPort,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [callback],
      accounts: ACCOUNTS,
    });
  };

  /** Starts a sign-in at storecast and walks the provider's pages up to (not into) the callback. */
  async function toCallback(jar: CookieJar, login: string, opts: { next?: string; cancel?: boolean } = {}) {
    const start = await browse(jar, `${base}/auth/oidc?${new URLSearchParams({ next: opts.next ?? "/stores" })}`);
    expect(start.status).toBe(302);
    const location = new URL(start.headers.get("location")!);
    expect(location.origin).toBe(`http://127.0.0.1:${providerPort}`);
    expect(location.searchParams.get("code_challenge_method")).toBe("S256");
    expect(jar.cookies.has("storecast_oidc")).toBe(true);
    return walkProvider(jar, location.href, { login, cancel: opts.cancel }, callback);
  }

  /** The whole flow for `login`: the callback's answer (a redirect) and the browser's jar. */
  async function signIn(login: string, next?: string) {
    const jar = new CookieJar();
    const back = await toCallback(jar, login, { next });
    const res = await browse(jar, back.href);
    return { res, jar, location: res.headers.get("location") ?? "" };
  }

  /** Follows a refusal to the sign-in page and returns what it says. */
  async function signInPage(jar: CookieJar, location: string): Promise<string> {
    const page = await browse(jar, new URL(location, base).href);
    expect(page.status).toBe(200);
    return textOf(await page.text());
  }

  const refusedWith = (location: string) => new URL(location, base).searchParams.get("sso");

  it("starts while the provider is down, says so at sign-in, and reaches it once it is up", async () => {
    const jar = new CookieJar();
    const page = await browse(jar, `${base}/sign-in`);
    expect(await page.text()).toContain("Sign in with single sign-on");

    const down = await browse(jar, `${base}/auth/oidc?next=%2Fstores`);
    expect(down.status).toBe(303);
    const location = down.headers.get("location")!;
    expect(location).toBe("/sign-in?sso=unreachable&next=%2Fstores");
    expect(await signInPage(jar, location)).toContain(SSO_FAILURES.unreachable);
    await expect.poll(() => server!.output()).toContain("auth: single sign-on failed");

    // Discovery failed once; the next sign-in tries again.
    await startProvider();
    const up = await browse(jar, `${base}/auth/oidc?next=%2Fstores`);
    expect(up.status).toBe(302);
    expect(up.headers.get("location")).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${providerPort}/auth\\?`));
  });

  it("signs in an operator: the claim's role, a working session, the account keyed by subject, audited", async () => {
    await startProvider();
    const { res, jar, location } = await signIn("ops-user");
    expect(res.status).toBe(303);
    expect(location).toBe("/stores");
    expect(jar.cookies.has("storecast_session")).toBe(true);
    expect(jar.cookies.has("storecast_oidc")).toBe(false);

    expect((await browse(jar, `${base}/api/stores`)).status).toBe(200);
    const train = await browse(jar, `${base}/api/train-all`, { method: "POST" });
    expect(train.status).toBe(202);
    // Without the cookie the same request is nobody's.
    expect((await fetch(`${base}/api/train-all`, { method: "POST" })).status).toBe(401);

    const users = await db!.sql.query<{ username: string; role: string; password_hash: string | null }>(
      "SELECT username, role, password_hash FROM users WHERE oidc_subject = 'ops-user'",
    );
    expect(users).toEqual([{ username: "ops-user", role: "operator", password_hash: null }]);
    const audits = await db!.sql.query<{ actor_name: string; detail: Record<string, unknown> }>(
      "SELECT actor_name, detail FROM audit_log WHERE action = 'session.sign-in'",
    );
    expect(audits).toContainEqual({
      actor_name: "ops-user",
      detail: { method: "oidc", subject: "ops-user", role: "operator" },
    });
  });

  it("signs in a user whose groups name viewer: reads, but may not train", async () => {
    await startProvider();
    const { location, jar } = await signIn("view-user", "/");
    expect(location).toBe("/");
    expect((await browse(jar, `${base}/api/stores`)).status).toBe(200);
    const train = await browse(jar, `${base}/api/train-all`, { method: "POST" });
    expect(train.status).toBe(403);
  });

  it("gives a claim that names no role OIDC_DEFAULT_ROLE (viewer)", async () => {
    await startProvider();
    const { location, jar } = await signIn("plain-user");
    expect(location).toBe("/stores");
    expect((await browse(jar, `${base}/api/train-all`, { method: "POST" })).status).toBe(403);
    const [user] = await db!.sql.query<{ role: string }>("SELECT role FROM users WHERE oidc_subject = 'plain-user'");
    expect(user?.role).toBe("viewer");
  });

  it("keeps the role in step with the claim at each sign-in", async () => {
    await startProvider();
    const first = await signIn("fickle-user");
    expect((await browse(first.jar, `${base}/api/train-all`, { method: "POST" })).status).toBe(202);
    ACCOUNTS["fickle-user"] = { storecast_role: "viewer" };
    const second = await signIn("fickle-user");
    expect((await browse(second.jar, `${base}/api/train-all`, { method: "POST" })).status).toBe(403);
    const rows = await db!.sql.query("SELECT id FROM users WHERE oidc_subject = 'fickle-user'");
    expect(rows).toHaveLength(1);
  });

  it("refuses a tampered state, and the flow cannot be replayed", async () => {
    await startProvider();
    const jar = new CookieJar();
    const back = await toCallback(jar, "ops-user");
    const tampered = new URL(back);
    tampered.searchParams.set("state", `${back.searchParams.get("state")}x`);
    const res = await browse(jar, tampered.href);
    expect(res.status).toBe(303);
    const location = res.headers.get("location")!;
    expect(refusedWith(location)).toBe("rejected");
    expect(jar.cookies.has("storecast_session")).toBe(false);
    expect(await signInPage(jar, location)).toContain(SSO_FAILURES.rejected);
    expect((await browse(jar, `${base}/api/stores`)).status).toBe(401);

    // The flow cookie is gone with the failure: the genuine answer, arriving after, is refused too.
    const replay = await browse(jar, back.href);
    expect(refusedWith(replay.headers.get("location")!)).toBe("expired");
    expect(jar.cookies.has("storecast_session")).toBe(false);
  });

  it("refuses a callback without the flow cookie or with a forged one, and never answers 500", async () => {
    await startProvider();
    const back = await toCallback(new CookieJar(), "ops-user");
    // The answer arriving in another browser (no flow cookie).
    const stranger = new CookieJar();
    const res = await browse(stranger, back.href);
    expect(res.status).toBe(303);
    expect(refusedWith(res.headers.get("location")!)).toBe("expired");
    expect(stranger.cookies.has("storecast_session")).toBe(false);

    const flow = Buffer.from(
      JSON.stringify({ state: "s", nonce: "n", verifier: "v".repeat(43), redirectUri: callback, next: "/" }),
    ).toString("base64");
    for (const [path, cookie] of [
      ["/auth/oidc/callback", ""],
      ["/auth/oidc/callback?code=abc&state=s", `storecast_oidc=${encodeURIComponent(flow)}`],
      ["/auth/oidc/callback?code=abc&state=s", `storecast_oidc=${encodeURIComponent(flow)}.forged-signature`],
      ["/auth/oidc/callback?error=%3Cscript%3E&state=%FF", "storecast_oidc=%%%"],
    ] as const) {
      const answer = await fetch(`${base}${path}`, { redirect: "manual", headers: cookie ? { Cookie: cookie } : {} });
      expect(answer.status, path).toBe(303);
      expect(refusedWith(answer.headers.get("location")!), path).toBe("expired");
    }
    expect((await fetch(`${base}/auth/oidc/callback`, { method: "POST" })).status).toBe(405);
  });

  it("tells a user who cancelled at the provider why they are back at sign-in", async () => {
    await startProvider();
    const jar = new CookieJar();
    const back = await toCallback(jar, "ops-user", { cancel: true });
    expect(back.searchParams.get("error")).toBe("access_denied");
    const res = await browse(jar, back.href);
    const location = res.headers.get("location")!;
    expect(refusedWith(location)).toBe("denied");
    expect(await signInPage(jar, location)).toContain(SSO_FAILURES.denied);
    expect(jar.cookies.has("storecast_session")).toBe(false);
  });

  it("refuses a disabled account, whatever its claim says", async () => {
    await startProvider();
    const first = await signIn("gone-user");
    expect(first.location).toBe("/stores");
    const [user] = await db!.sql.query<{ id: number }>("SELECT id FROM users WHERE oidc_subject = 'gone-user'");
    await setDisabled(db!, user!.id, true);
    // Disabling ends the session it had...
    expect((await browse(first.jar, `${base}/api/stores`)).status).toBe(401);
    // ...and refuses the next sign-in.
    const again = await signIn("gone-user");
    expect(refusedWith(again.location)).toBe("disabled");
    expect(again.jar.cookies.has("storecast_session")).toBe(false);
    expect(await signInPage(again.jar, again.location)).toContain(SSO_FAILURES.disabled);
  });

  it("sends the user only to a path of this site after sign-in", async () => {
    await startProvider();
    const { location } = await signIn("ops-user", "//evil.example/steal");
    expect(location).toBe("/");
  });
});

describe("the OpenID Connect client", () => {
  let provider: TestProvider | undefined;
  let silent: Server | undefined;
  const sockets = new Set<Socket>();
  let settings: OidcSettings;
  const redirectUri = "http://127.0.0.1:9/auth/oidc/callback";

  beforeAll(async () => {
    const port = await freePort();
    provider = await startOidcProvider({
      port,
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      redirectUris: [redirectUri],
      accounts: { "keycloak-user": { realm_access: { roles: ["planner", "offline_access"] } }, nobody: {} },
    });
    settings = {
      issuer: new URL(provider.issuer),
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      roleClaim: "storecast_role",
      defaultRole: "viewer",
      scopes: "openid profile email",
      timeoutS: 1,
    };
  });

  afterAll(async () => {
    await provider?.close();
    for (const socket of sockets) socket.destroy();
    silent?.close();
  });

  async function identity(client: ReturnType<typeof createOidcClient>, login: string) {
    const { url, flow } = await client.begin(redirectUri, "/");
    const back = await walkProvider(new CookieJar(), url.href, { login }, redirectUri);
    return client.complete(back.search, flow);
  }

  it("reads the role from a nested claim (realm_access.roles) in userinfo", async () => {
    const client = createOidcClient({ ...settings, roleClaim: "realm_access.roles" });
    expect(await identity(client, "keycloak-user")).toEqual({
      subject: "keycloak-user",
      username: "keycloak-user",
      role: "planner",
    });
  });

  it("refuses a user whose claim names no role when OIDC_DEFAULT_ROLE is none", async () => {
    const client = createOidcClient({ ...settings, defaultRole: "none" });
    await expect(identity(client, "nobody")).rejects.toMatchObject({ code: "no-role" });
    expect(await identity(createOidcClient(settings), "nobody")).toMatchObject({ role: "viewer" });
  });

  it("refuses a wrong client secret (the provider's token endpoint says no)", async () => {
    const client = createOidcClient({ ...settings, clientSecret: "not-the-secret" });
    await expect(identity(client, "nobody")).rejects.toMatchObject({
      code: "failed",
      message: expect.stringContaining("check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET"),
    });
  });

  it("gives up on a provider that accepts connections but never answers", async () => {
    const port = await freePort();
    silent = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent!.listen(port, "127.0.0.1", () => resolve()));
    const client = createOidcClient({ ...settings, issuer: new URL(`http://127.0.0.1:${port}`) });
    await expect(client.begin(redirectUri, "/")).rejects.toMatchObject({ code: "unreachable" });
  });
});
