import { describe, expect, inject, it } from "vitest";
import { E2E_STORES, hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("pipelines page in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("draws the run durations chart and lists the runs", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/pipelines`);
    await hydrated(page);
    const chart = page.locator('[role="img"][aria-label^="Pipeline run durations over time"]');
    await chart.locator("svg").waitFor();
    // One point per finished run in the chart, as in the table.
    const finished = await page
      .getByTestId("run-rows")
      .locator("tr")
      .filter({ hasText: /SUCCEEDED|FAILED|STOPPED/ })
      .count();
    expect(finished).toBeGreaterThanOrEqual(1);
    // Vega draws each point as one path in the symbol mark's group.
    expect(await chart.locator("svg g.mark-symbol.role-mark > path").count()).toBe(finished);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("the kind filter follows the address when a link changes it", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/pipelines?kind=retrain`);
    await hydrated(page);
    const kind = page.getByLabel("Kind");
    expect(await kind.inputValue()).toBe("retrain");
    // The nav link loads /pipelines client-side: the same route, new data, the select must follow.
    await page.getByRole("navigation").getByRole("link", { name: "Pipelines" }).click();
    await page.waitForURL(`${url}/pipelines`);
    await expect.poll(() => kind.inputValue()).toBe("");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("Train all stores shows live progress and the result without a reload", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/pipelines`);
    await hydrated(page);
    const runsBefore = await page.getByTestId("run-rows").locator("tr").count();
    await page.evaluate(() => Object.assign(window, { e2eSameDocument: true }));
    await page.getByRole("button", { name: "Train all stores" }).click();
    // The bar shows while the job is queued or running (a fast machine may finish first).
    const bar = page.getByRole("progressbar", { name: "Train-all progress" });
    const finished = page.getByRole("status").filter({ hasText: /^Train-all finished/ });
    await Promise.race([bar.waitFor({ timeout: 30_000 }), finished.waitFor({ timeout: 30_000 })]);
    if (await bar.isVisible()) await screenshot(page, "pipelines-progress");
    await finished.waitFor({ timeout: 120_000 });
    expect((await finished.textContent()) ?? "").toMatch(new RegExp(`${E2E_STORES} trained, 0 skipped, 0 failed\\.$`));
    await bar.waitFor({ state: "detached" });
    // The runs table was reloaded in place with the new run.
    await expect.poll(() => page.getByTestId("run-rows").locator("tr").count()).toBe(runsBefore + 1);
    expect(await page.evaluate(() => (window as unknown as { e2eSameDocument?: boolean }).e2eSameDocument)).toBe(true);
    expect(page.url()).toMatch(/\/pipelines\?job=/);
    await screenshot(page, "pipelines");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("fits a phone screen without sideways scrolling", async () => {
    const { page } = await openPage(browser(), { viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    await page.goto(`${url}/pipelines`);
    await hydrated(page);
    await page.locator('[role="img"] svg').first().waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth)).toBe(
      false,
    );
    await screenshot(page, "pipelines-phone-dark");
    await page.context().close();
  });
});
