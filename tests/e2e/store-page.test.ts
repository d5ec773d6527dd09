/**
 * The store page in a real browser: the chart, Retrain with its live progress, the ad-hoc
 * forecast as a second series, and a field error. Accessible names follow the UI contract.
 */
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { hydrated, openPage, PRODUCT, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

const STORE = 1;
const DAY_MS = 86_400_000;
const day = (offset: number) => new Date(Date.now() + offset * DAY_MS).toISOString().slice(0, 10);

/** The subtitle "model: {name} | version: {v} | CI: 95%", parsed. */
async function subtitle(page: Page): Promise<{ text: string; version: number }> {
  const text = ((await page.getByTestId("forecast-subtitle").textContent()) ?? "").trim();
  const m = /^model: (\S+) \| version: (\d+) \| CI: 95%$/.exec(text);
  return { text, version: m ? Number(m[2]) : Number.NaN };
}

/** The drawn chart: the container with the contract's accessible name and its SVG. */
const chart = (page: Page) => page.locator('[role="img"][aria-label^="Sales forecast for the week"]');
const legendEntry = (page: Page, name: string) => chart(page).locator("svg text", { hasText: name });

describe("store page in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  async function openStore(): Promise<{ page: Page; errors: string[] }> {
    const tracked = await openPage(browser());
    const res = await tracked.page.goto(`${url}/stores/${STORE}?product=${PRODUCT}`);
    expect(res?.status()).toBe(200);
    await hydrated(tracked.page);
    await chart(tracked.page).locator("svg").waitFor();
    return tracked;
  }

  it("renders the forecast chart as SVG, titled, with the model and version in the subtitle", async () => {
    const { page, errors } = await openStore();
    expect(await chart(page).locator("svg").count()).toBe(1);
    const title = page.getByText(/^Sales forecast for the week \d{4}-\d{2}-\d{2} to \d{4}-\d{2}-\d{2}$/);
    expect(await title.count()).toBeGreaterThanOrEqual(1);
    const sub = await subtitle(page);
    expect(sub.text).toMatch(
      new RegExp(`^model: prophet-retail-forecaster-store-${STORE}-${PRODUCT} \\| version: \\d+ \\| CI: 95%$`),
    );
    expect(sub.version).toBeGreaterThanOrEqual(1);
    await legendEntry(page, "Weekly forecast").first().waitFor();
    await legendEntry(page, "Actual sales").first().waitFor();
    expect(await page.getByTestId("model-card").count()).toBe(1);
    expect(await page.getByRole("link", { name: "Download CSV" }).count()).toBe(1);
    await screenshot(page, "store-page");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("explains the forecast: a sentence per effect, a waterfall of components ending at it, the numbers in a table", async () => {
    const { page, errors } = await openStore();
    const panel = page.getByRole("region", { name: "Why this forecast" });
    const sentences = panel.getByTestId("components-sentences").locator("li");
    const said = await sentences.allInnerTexts();
    expect(said[0]).toMatch(/^The trend is (flat|(up|down) \d+%) over the week\.$/);
    expect(said[1]).toMatch(/^(\w+days sell about \d+% (above|below)|The day of the week makes little difference)/);
    // The generated stores have promotions: the model uses promo and says what it adds.
    expect(said.some((t) => /promo/i.test(t))).toBe(true);
    const drawn = panel.locator('[role="img"][aria-label^="Forecast components per day: Trend, Weekly pattern"]');
    await drawn.locator("svg").waitFor();
    expect(await drawn.locator("svg text", { hasText: "Forecast (sum)" }).count()).toBeGreaterThanOrEqual(1);
    // The table (closed by default) adds up: each open day's terms sum to its forecast.
    await panel.getByText("The numbers (sales per day)").click();
    const rows = panel.getByTestId("components-rows").locator("tr");
    expect(await rows.count()).toBe(7);
    const num = (t: string) => Number(t.replace(/[,+]/g, "").replace("−", "-"));
    for (const row of await rows.all()) {
      const cells = (await row.locator("td").allInnerTexts()).map((t) => t.trim());
      if (cells.length === 1) {
        expect(cells[0]).toBe("Closed: forecast 0");
        continue;
      }
      const forecast = num(cells.at(-1)!.replace(" (sum below 0)", ""));
      const sum = cells.slice(0, -1).reduce((s, t) => s + num(t), 0);
      // Each cell is rounded to a whole sale.
      expect(Math.abs(sum - forecast)).toBeLessThanOrEqual(cells.length);
    }
    await panel.scrollIntoViewIfNeeded();
    await screenshot(page, "store-components");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("the components read without JavaScript: sentences and the table of numbers", async () => {
    const { page } = await openPage(browser(), { javaScriptEnabled: false });
    const res = await page.goto(`${url}/stores/${STORE}?product=${PRODUCT}`);
    expect(res?.status()).toBe(200);
    const panel = page.getByRole("region", { name: "Why this forecast" });
    expect(await panel.getByTestId("components-sentences").locator("li").count()).toBeGreaterThanOrEqual(2);
    expect(await panel.getByText("The numbers are in the table below.").count()).toBe(1);
    await panel.getByText("The numbers (sales per day)").click();
    expect(await panel.getByTestId("components-rows").locator("tr").count()).toBe(7);
    await screenshot(page, "store-components-no-js");
    await page.context().close();
  });

  it("Retrain puts a new version in production, and the page shows it without a reload", async () => {
    const { page } = await openStore();
    const before = (await subtitle(page)).version;
    // A mark on this document: a full page load would lose it.
    await page.evaluate(() => Object.assign(window, { e2eSameDocument: true }));
    await page.getByRole("button", { name: "Retrain", exact: true }).click();
    await expect
      .poll(async () => (await subtitle(page)).version, { timeout: 90_000, interval: 250 })
      .toBeGreaterThan(before);
    const after = (await subtitle(page)).version;
    expect(after).toBe(before + 1);
    await expect
      .poll(async () => page.getByRole("status").allInnerTexts(), { timeout: 30_000 })
      .toContainEqual(expect.stringContaining(`version ${after}`));
    // Live: the page updated in place, not by a full page load.
    expect(await page.evaluate(() => (window as unknown as { e2eSameDocument?: boolean }).e2eSameDocument)).toBe(true);
    await screenshot(page, "store-retrain");
    await page.context().close();
  });

  it("Forecast draws the ad-hoc forecast as a second series", async () => {
    const { page, errors } = await openStore();
    expect(await legendEntry(page, "Ad-hoc forecast").count()).toBe(0);
    await page.getByLabel("Begin", { exact: true }).fill(day(1));
    await page.getByLabel("End", { exact: true }).fill(day(14));
    await page.getByRole("button", { name: "Forecast", exact: true }).click();
    await legendEntry(page, "Ad-hoc forecast").first().waitFor({ timeout: 30_000 });
    await legendEntry(page, "Weekly forecast").first().waitFor();
    await screenshot(page, "store-adhoc-forecast");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("an end date before the begin date shows an error next to the End field", async () => {
    const { page } = await openStore();
    await page.getByLabel("Begin", { exact: true }).fill(day(10));
    await page.getByLabel("End", { exact: true }).fill(day(3));
    await page.getByRole("button", { name: "Forecast", exact: true }).click();
    const error = page.locator("#end-error");
    await error.waitFor({ timeout: 30_000 });
    expect(((await error.textContent()) ?? "").trim()).not.toBe("");
    const end = page.getByLabel("End", { exact: true });
    expect(await end.getAttribute("aria-invalid")).toBe("true");
    expect((await end.getAttribute("aria-describedby"))?.split(/\s+/)).toContain("end-error");
    // Nothing was forecast.
    expect(await legendEntry(page, "Ad-hoc forecast").count()).toBe(0);
    await screenshot(page, "store-forecast-error");
    await page.context().close();
  });
});
