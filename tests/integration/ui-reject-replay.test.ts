/**
 * Replay on the Rejected records page, as a browser without JavaScript uses it (production server,
 * `npm run build` first; Postgres): the Replay link leads to a confirm step whose form POSTs with
 * the CSRF token, the reject is ingested once and leaves the list, the audit log records it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAccount } from "../../app/auth/accounts.server.js";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { csrfOf, signIn } from "../support/auth.js";
import { createScratchDatabase } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { record } from "../support/stream-cases.js";

const DATA = { GENERATE_STORES: "1", GENERATE_DAYS: "40", GENERATE_SEED: "5", STREAM_PRODUCER: "false" };
const PASSES = JSON.stringify(record({ store: 901, productname: "product_replayed", sales: 777 }));

describe.runIf(process.env.DATABASE_URL)("replaying rejects from the page (Postgres)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;
  let db: Database;
  let passes = 0;
  let fails = 0;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_ui_replay");
    db = await openDatabase({ databaseUrl: scratch.url });
    const insert = async (payload: string, reason: string, offset: string) =>
      (
        await db.sql.query<{ id: number }>(
          `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset") VALUES ($1, $2, 'sales', 0, $3) RETURNING id`,
          [payload, reason, offset],
        )
      )[0]!.id;
    passes = await insert(PASSES, "productname: longer than 8 characters", "1");
    fails = await insert("{nope", "not JSON: Expected property name", "2");
    server = await startServer({ DATABASE_URL: scratch.url, DATA_DIR: tempDir("ui-replay"), ...DATA });
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
    await db?.close();
    await scratch?.drop();
  });

  const get = async (path: string) => (await fetch(`${server.url}${path}`)).text();
  const post = (fields: Record<string, string>) =>
    fetch(`${server.url}/rejects`, {
      method: "POST",
      redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  const rowOf = (html: string, id: number) => {
    const start = html.indexOf(`data-id="${id}"`);
    return start < 0 ? null : html.slice(start, html.indexOf("</tr>", start));
  };

  it("offers Replay only for a reject today's rules accept, behind a confirm step that works without JavaScript", async () => {
    const html = await get("/rejects");
    expect(rowOf(html, passes)).toContain("passes now");
    expect(rowOf(html, passes)).toMatch(new RegExp(`href="/rejects\\?confirm=${passes}"`));
    expect(rowOf(html, fails)).not.toContain("passes now");
    const confirm = await get(`/rejects?confirm=${passes}`);
    expect(confirm).toMatch(/<dialog[^>]*open/);
    expect(confirm).toMatch(/name="intent" value="replay"/);
    expect(confirm).toMatch(new RegExp(`name="id" value="${passes}"`));
  });

  it("refuses a replay without the form's CSRF token", async () => {
    const res = await post({ intent: "replay", id: String(passes) });
    expect(res.status).toBe(403);
    expect(await db.sql.query("SELECT 1 FROM rossman_sales WHERE store = 901")).toHaveLength(0);
  });

  it("ingests the reject once on a double replay, keeps the failing one with its reason, and audits it", async () => {
    const _csrf = csrfOf(await get(`/rejects?confirm=${passes}`));
    const first = await post({ _csrf, intent: "replay", id: String(passes) });
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe("/rejects?replayed=1&still=0");
    const second = await post({ _csrf, intent: "replay", id: String(passes) });
    expect(second.headers.get("location")).toBe("/rejects?replayed=0&still=0");
    const all = await post({ _csrf, intent: "replay-all", reason: "not_json" });
    expect(all.headers.get("location")).toBe("/rejects?reason=not_json&replayed=0&still=1");

    const rows = await db.sql.query<{ sales: number }>("SELECT sales FROM rossman_sales WHERE store = 901");
    expect(rows).toEqual([{ sales: 777 }]);
    const left = await db.sql.query<{ id: number; reason: string }>("SELECT id, reason FROM stream_rejects");
    expect(left).toEqual([{ id: fails, reason: "not JSON: Expected property name" }]);
    const audits = await db.sql.query<{ target: string; detail: { replayedCount: number } }>(
      "SELECT target, detail FROM audit_log WHERE action = 'rejects.replay' ORDER BY id",
    );
    expect(audits.map((a) => [a.target, a.detail.replayedCount])).toEqual([
      [`reject ${passes}`, 1],
      [`reject ${passes}`, 0],
      ["rejects matching /rejects?reason=not_json", 0],
    ]);
    const page = await get("/rejects?replayed=1&still=0");
    expect(page).toMatch(/data-testid="replay-report"[^>]*>Replayed (<!-- -->)?1(<!-- -->)? reject/);
    expect(rowOf(page, passes)).toBeNull();
  });

  it("answers a bad form with 400 naming the field", async () => {
    const _csrf = csrfOf(await get("/rejects?confirm=all"));
    expect((await post({ _csrf, intent: "replay", id: "x" })).status).toBe(400);
    expect((await post({ _csrf, intent: "replay-all", reason: "nope" })).status).toBe(400);
    expect((await post({ _csrf, intent: "delete" })).status).toBe(400);
  });
});

describe.runIf(process.env.DATABASE_URL)("replay needs the operator role (auth on, Postgres)", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;
  let db: Database;
  let id = 0;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_ui_replay_auth");
    db = await openDatabase({ databaseUrl: scratch.url });
    id = (
      await db.sql.query<{ id: number }>(
        `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset")
         VALUES ($1, 'productname: longer than 8 characters', 'sales', 0, '1') RETURNING id`,
        [PASSES],
      )
    )[0]!.id;
    // A planner may post forms (a viewer is stopped before any route), but not this one.
    await createAccount(db, { username: "pat", password: "pat-planner-password", role: "planner" });
    server = await startServer({
      DATABASE_URL: scratch.url,
      DATA_DIR: tempDir("ui-replay-auth"),
      ...DATA,
      AUTH: "on",
      ADMIN_PASSWORD: "replay-admin-password",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
    await db?.close();
    await scratch?.drop();
  });

  it("shows a planner that a reject passes now but no Replay, and refuses the planner's POST with 403", async () => {
    const cookie = await signIn(server.url, "pat", "pat-planner-password");
    const html = await (await fetch(`${server.url}/rejects`, { headers: { cookie } })).text();
    expect(html).toContain("passes now");
    expect(html).not.toMatch(/href="\/rejects\?confirm=/);
    const res = await fetch(`${server.url}/rejects`, {
      method: "POST",
      redirect: "manual",
      headers: { cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrfOf(html), intent: "replay", id: String(id) }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("this needs the operator role; pat is a planner");
    expect(await db.sql.query("SELECT 1 FROM stream_rejects")).toHaveLength(1);
    expect(await db.sql.query("SELECT 1 FROM rossman_sales WHERE store = 901")).toHaveLength(0);
  });
});
