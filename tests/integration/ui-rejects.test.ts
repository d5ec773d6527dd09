import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Database, openDatabase } from "../../app/platform/db.server.js";
import { createScratchDatabase } from "../support/databases.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";

// The Rejected records page as a browser without JavaScript gets it: HTML from the production
// server (run `npm run build` first). Rejects are written into the database before the page is read,
// received over the last days (the database's clock, no wall-clock assertion).
const DATA = { GENERATE_STORES: "1", GENERATE_DAYS: "40", GENERATE_SEED: "5", STREAM_PRODUCER: "false" };
const SCRIPT = '{"store":1,"productname":"<script>alert(1)</script>"';

/** 60 `not_json` rejects today, the one with a <script> payload the newest; one `not_object` 3 days ago. */
async function seedRejects(db: Database): Promise<void> {
  await db.sql.exec(`INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
    SELECT 'bad ' || g || repeat('.', 300), 'not JSON: Unexpected token', 'sales', 0, g::text, now()
      FROM generate_series(1, 59) AS g`);
  await db.sql.query(
    `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
     VALUES ($1, 'not JSON: Unexpected end of JSON input', 'sales', 0, '60', now())`,
    [SCRIPT],
  );
  await db.sql.exec(`INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
    VALUES ('[1,2]', 'expected a JSON object, got an array', 'sales', 1, '7', now() - interval '3 days')`);
}

const rowIds = (html: string) => [...html.matchAll(/<tr[^>]*data-id="(\d+)"/g)].map((m) => Number(m[1]));

function definePageCases(target: () => { url: string }): void {
  const page = async (path: string) => {
    const res = await fetch(`${target().url}${path}`, { redirect: "manual" });
    return { status: res.status, html: await res.text() };
  };

  it("lists rejects newest first, 50 a page, the next page linked by id, with a nav link", async () => {
    const first = await page("/rejects");
    expect(first.status).toBe(200);
    expect(first.html).toMatch(/<a[^>]*href="\/rejects"[^>]*>Rejects<\/a>/);
    const ids = rowIds(first.html);
    expect(ids).toEqual(Array.from({ length: 50 }, (_, i) => 61 - i));
    expect(first.html).toMatch(/<a[^>]*href="\/rejects\?before=12"[^>]*>Older rejects<\/a>/);
    const second = await page("/rejects?before=12");
    expect(rowIds(second.html)).toEqual(Array.from({ length: 11 }, (_, i) => 11 - i));
    expect(second.html).not.toContain("Older rejects");
    expect(second.html).toMatch(/<a[^>]*href="\/rejects"[^>]*>Newest rejects<\/a>/);
  });

  it("shows a payload escaped, never as markup, and a long one behind a disclosure", async () => {
    const { html } = await page("/rejects");
    expect(html).not.toContain("<script>alert(1)</script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    // A 304-character payload: its first 200 in the summary, all of it inside <details>.
    const row = html.slice(html.indexOf('data-id="59"'), html.indexOf('data-id="58"'));
    expect(row).toMatch(/<details>/);
    expect(row).toContain(`bad 59${".".repeat(194)}</code>`);
    expect(row).toContain(`bad 59${".".repeat(300)}</pre>`);
    // The short one is shown whole, no disclosure.
    const scriptRow = html.slice(html.indexOf('data-id="60"'), html.indexOf('data-id="59"'));
    expect(scriptRow).not.toContain("<details>");
  });

  it("filters by reason class and by day, in the query string", async () => {
    const objects = await page("/rejects?reason=not_object");
    expect(rowIds(objects.html)).toEqual([61]);
    expect(objects.html).toMatch(/<option value="not_object" selected="">/);
    const json = await page("/rejects?reason=not_json&before=3");
    expect(rowIds(json.html)).toEqual([2, 1]);
    // The day of the not_object reject, read from its own row: only it that day.
    const day = (await page("/rejects?reason=not_object")).html.match(/<td[^>]*>(\d{4}-\d{2}-\d{2}) \d{2}:\d{2}/)![1]!;
    const thatDay = await page(`/rejects?from=${day}&to=${day}`);
    expect(rowIds(thatDay.html)).toEqual([61]);
    expect(thatDay.html).toMatch(new RegExp(`<input[^>]*name="from"[^>]*value="${day}"`));
  });

  it("counts rejects per day and reason over the last 14 days", async () => {
    const { html } = await page("/rejects");
    expect(html.replace(/<!-- -->/g, "")).toMatch(/<h2[^>]*>The last 14 days<\/h2>/);
    const body = html.slice(html.indexOf('data-testid="per-day-rows"'), html.indexOf("</tbody>"));
    const rows = [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((m) =>
      [...m[1]!.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) => c[1]!),
    );
    expect(rows).toHaveLength(14);
    // Columns: day, not_json, not_object, all.
    expect(rows.map((r) => Number(r[3]))).toContain(60);
    expect(rows.reduce((n, r) => n + Number(r[3]), 0)).toBe(61);
    expect(rows.reduce((n, r) => n + Number(r[2]), 0)).toBe(1);
  });

  it("answers a bad filter with 400 naming the field", async () => {
    for (const [query, field] of [
      ["reason=nope", "reason"],
      ["from=2024-13-01", "from"],
      ["to=soon", "to"],
      ["from=2024-06-02&to=2024-06-01", "to"],
      ["before=-1", "before"],
    ] as const) {
      const res = await page(`/rejects?${query}`);
      expect(res.status, query).toBe(400);
      expect(res.html).toContain(`${field}: `);
    }
  });
}

describe("rejected records page on PGlite", () => {
  const dataDir = tempDir("ui-rejects");
  let server: RunningServer;

  beforeAll(async () => {
    // The server owns its PGlite directory once started: the rejects are written before.
    const db = await openDatabase({ pgliteDir: `${dataDir}/pglite` });
    try {
      await seedRejects(db);
    } finally {
      await db.close();
    }
    server = await startServer({ PGLITE_DIR: `${dataDir}/pglite`, DATA_DIR: dataDir, ...DATA });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  definePageCases(() => ({ url: server.url }));
});

describe.runIf(process.env.DATABASE_URL)("rejected records page on Postgres", () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let server: RunningServer;

  beforeAll(async () => {
    scratch = await createScratchDatabase(process.env.DATABASE_URL as string, "storecast_ui_rejects");
    const db = await openDatabase({ databaseUrl: scratch.url });
    try {
      await seedRejects(db);
    } finally {
      await db.close();
    }
    server = await startServer({ DATABASE_URL: scratch.url, DATA_DIR: tempDir("ui-rejects-pg"), ...DATA });
  });
  afterAll(async () => {
    await server?.stop("SIGTERM");
    await scratch?.drop();
  });

  definePageCases(() => ({ url: server.url }));
});
