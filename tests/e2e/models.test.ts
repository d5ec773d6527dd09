/**
 * The Models pages in a real browser: the listing, and a rollback through the confirm dialog that
 * changes the production version in place. Also usable at phone width.
 */
import type { Page } from "playwright-core";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { waitForJob } from "../support/training.js";
import { E2E_STORES, hydrated, openPage, PRODUCT, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

const STORE = 3;

const productionVersion = async (page: Page) =>
  Number((await page.getByTestId("production-version").textContent()) ?? "");

/** Whether the page scrolls sideways (it should not, even on a phone). */
const overflowsSideways = (page: Page) =>
  page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);

describe("models pages in Chromium", () => {
  const url = inject("serverUrl");
  const headers = { cookie: inject("sessionCookie") };
  const browser = useBrowser();

  beforeAll(async () => {
    // A second version to roll back from.
    const res = await fetch(`${url}/api/models/${STORE}/${PRODUCT}/retrain`, { method: "POST", headers });
    const { job_id } = (await res.json()) as { job_id: string };
    expect((await waitForJob(url, job_id, undefined, headers)).status).toBe("SUCCEEDED");
  });

  it("lists the models in production and finds one by store number", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/models`);
    await hydrated(page);
    expect(await page.getByTestId("model-rows").locator("tr").count()).toBe(E2E_STORES);
    await page.getByLabel("Find a model by store number").fill(String(STORE));
    await page.getByRole("button", { name: "Search" }).click();
    await page.waitForURL(/\?q=3/);
    await expect.poll(() => page.getByTestId("model-rows").locator("tr").count()).toBe(1);
    await page.getByRole("link", { name: `Versions of store ${STORE} ${PRODUCT}` }).click();
    await page.waitForURL(`${url}/models/${STORE}/${PRODUCT}`);
    await page.getByTestId("production-version").waitFor();
    await screenshot(page, "models");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("rollback: promoting an archived version after confirming changes the production version", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/models/${STORE}/${PRODUCT}`);
    await hydrated(page);
    const before = await productionVersion(page);
    expect(before).toBeGreaterThanOrEqual(2);
    const target = before - 1;
    await page.getByRole("button", { name: `Promote version ${target}` }).click();
    const dialog = page.getByRole("dialog", { name: `Promote version ${target} to production?` });
    await dialog.waitFor();
    // Nothing has changed yet: the dialog asks first.
    expect(await productionVersion(page)).toBe(before);
    await screenshot(page, "models-confirm");
    await dialog.getByRole("button", { name: "Confirm" }).click();
    await expect.poll(() => productionVersion(page), { timeout: 30_000 }).toBe(target);
    await dialog.waitFor({ state: "detached" });
    expect(await page.getByRole("status").allInnerTexts()).toContain(`Version ${target} is now in production.`);
    expect(await page.getByRole("button", { name: `Promote version ${before}` }).count()).toBe(1);
    const api = (await (await fetch(`${url}/api/models/${STORE}/${PRODUCT}/versions`, { headers })).json()) as {
      productionVersion: number;
    };
    expect(api.productionVersion).toBe(target);
    await screenshot(page, "models-rollback");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("Cancel (or Escape) leaves the production version as it was", async () => {
    const { page } = await openPage(browser());
    await page.goto(`${url}/models/${STORE}/${PRODUCT}`);
    await hydrated(page);
    const before = await productionVersion(page);
    const promote = page.getByRole("button", { name: /^Promote version \d+$/ }).first();
    const other = ((await promote.textContent()) ?? "").trim();
    await page.getByRole("button", { name: other }).click();
    await page.getByRole("dialog").waitFor();
    await page.keyboard.press("Escape");
    await page.getByRole("dialog").waitFor({ state: "detached" });
    await page.getByRole("button", { name: other }).click();
    await page.getByRole("dialog").getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("dialog").waitFor({ state: "detached" });
    expect(await productionVersion(page)).toBe(before);
    await page.context().close();
  });

  it("fits a phone screen without sideways scrolling", async () => {
    const { page } = await openPage(browser(), { viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    for (const path of ["/models", `/models/${STORE}/${PRODUCT}`]) {
      await page.goto(`${url}${path}`);
      await hydrated(page);
      expect(await overflowsSideways(page), path).toBe(false);
    }
    await screenshot(page, "models-phone-dark");
    await page.context().close();
  });
});
