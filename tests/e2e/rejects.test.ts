/**
 * The Rejected records page in a real browser, on a server of its own (embedded, PGlite) whose
 * rejects are written before it starts: a reject today's rules accept is replayed through the
 * confirm dialog and leaves the list; one they refuse stays. Screenshots of the list and the dialog.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../app/platform/db.server.js";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";
import { record } from "../support/stream-cases.js";
import { hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

const PASSES = JSON.stringify(record({ store: 1, productname: "product_renamed_since", sales: 4242 }));

describe("the Rejected records page in Chromium", () => {
  const browser = useBrowser();
  let server: RunningServer;

  beforeAll(async () => {
    const dir = tempDir("e2e-rejects");
    const db = await openDatabase({ pgliteDir: `${dir}/pglite` });
    try {
      await db.sql.exec(`INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
        SELECT 'bad ' || g, 'not JSON: Unexpected token', 'sale_rossman_store', g % 3, g::text, now() - g * interval '7 hours'
          FROM generate_series(1, 12) AS g`);
      await db.sql.exec(`INSERT INTO stream_rejects (payload, reason, topic, partition, "offset", received_at)
        VALUES ('[1,2]', 'expected a JSON object, got an array', 'sale_rossman_store', 1, '40', now() - interval '2 days')`);
      await db.sql.query(
        `INSERT INTO stream_rejects (payload, reason, topic, partition, "offset")
         VALUES ($1, 'productname: longer than 8 characters', 'sale_rossman_store', 0, '99')`,
        [PASSES],
      );
    } finally {
      await db.close();
    }
    server = await startServer({
      PGLITE_DIR: `${dir}/pglite`,
      DATA_DIR: dir,
      GENERATE_STORES: "1",
      GENERATE_DAYS: "40",
      GENERATE_SEED: "5",
      STREAM_PRODUCER: "false",
      SCHEDULES: "false",
      AUTO_TRAIN: "false",
      LOG_LEVEL: "warn",
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
  });

  it("lists rejects with their counts, and replays the one that passes now through the confirm dialog", async () => {
    const { page, errors } = await openPage(browser(), { signedIn: false });
    await page.goto(`${server.url}/rejects`);
    await hydrated(page);
    const rows = page.getByTestId("reject-rows").locator("tr");
    expect(await rows.count()).toBe(14);
    expect(await page.getByTestId("passes-now").count()).toBe(1);
    await screenshot(page, "rejects");

    await page.getByRole("link", { name: /^Replay reject \d+$/ }).click();
    const dialog = page.getByRole("dialog", { name: /^Replay reject \d+\?$/ });
    await dialog.waitFor();
    await screenshot(page, "rejects-replay-dialog");
    await dialog.getByRole("button", { name: "Replay" }).click();
    await dialog.waitFor({ state: "detached" });
    expect(await page.getByTestId("replay-report").textContent()).toMatch(/^Replayed 1 reject\.$/);
    expect(await rows.count()).toBe(13);
    expect(await page.getByTestId("passes-now").count()).toBe(0);

    // "Replay all" for a filter with nothing that passes: nothing replayed, the rejects stay.
    await page.goto(`${server.url}/rejects?reason=not_json`);
    await hydrated(page);
    await page.getByRole("link", { name: /^Replay all that now pass/ }).click();
    const all = page.getByRole("dialog", { name: "Replay every reject that passes now?" });
    await all.getByRole("button", { name: "Replay all that pass" }).click();
    await all.waitFor({ state: "detached" });
    expect(await page.getByTestId("replay-report").textContent()).toMatch(/Replayed 0 rejects; 12 still fail/);
    expect(await rows.count()).toBe(12);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
