/**
 * A model version's page and the compare view in a real browser: the per-fold chart, the fitted
 * parameters with "show all", the JSON download, the run link; comparing two versions from the
 * model page's form, the refusals (400 naming the field) and the same version twice; and both
 * pages without JavaScript.
 */
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { waitForJob } from "../support/training.js";
import { hydrated, openPage, PRODUCT, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

// Not store 3: models.test.ts rolls that one back and forth.
const STORE = 2;

describe("model version pages in Chromium", () => {
  const url = inject("serverUrl");
  const headers = { cookie: inject("sessionCookie") };
  const browser = useBrowser();
  const modelUrl = `${url}/models/${STORE}/${PRODUCT}`;

  beforeAll(async () => {
    // A second version to compare with the first.
    const res = await fetch(`${url}/api/models/${STORE}/${PRODUCT}/retrain`, { method: "POST", headers });
    const { job_id } = (await res.json()) as { job_id: string };
    expect((await waitForJob(url, job_id, undefined, headers)).status).toBe("SUCCEEDED");
  });

  it("a version's page: folds chart, parameters, its run, and the JSON download", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(modelUrl);
    await hydrated(page);
    await page.getByRole("link", { name: "Version 1 details" }).click();
    await page.waitForURL(`${modelUrl}/versions/1`);
    await page.getByRole("heading", { name: `Version 1 of store ${STORE}, ${PRODUCT}` }).waitFor();
    expect(await page.getByTestId("version-stage").textContent()).toContain("archived");

    const folds = await page.getByTestId("fold-rows").locator("tr").count();
    expect(folds).toBeGreaterThan(0);
    const chart = page.locator('[role="img"][aria-label^="Cross-validation RMSPE and MAPE"]');
    await chart.locator("svg").waitFor();
    // A bar per fold and metric.
    expect(await chart.locator("svg g.mark-rect.role-mark > path").count()).toBe(2 * folds);

    expect(await page.getByTestId("coefficient-rows").textContent()).toContain("promo");
    await page
      .getByText(/^Show all \d+ values$/)
      .first()
      .click();
    await expect.poll(() => page.getByTestId("values-delta").isVisible()).toBe(true);

    const runLink = page.getByTestId("version-run").getByRole("link");
    expect(await runLink.getAttribute("href")).toMatch(/^\/pipelines\/\d+$/);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("link", { name: "Download (JSON)" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`storecast-model-${STORE}-${PRODUCT}-v1.json`);
    const doc = JSON.parse(readFileSync((await download.path())!, "utf8")) as { format: string };
    expect(doc.format).toBe("storecast-model/1");

    await screenshot(page, "model-version");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("compares two versions chosen on the model page: metrics with differences, forecasts overlaid", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(modelUrl);
    await hydrated(page);
    const form = page.getByRole("region", { name: "Compare two versions" });
    await form.getByLabel("Version A").selectOption("1");
    await form.getByLabel("Version B").selectOption("2");
    await form.getByRole("button", { name: "Compare" }).click();
    await page.waitForURL(`${modelUrl}/compare?a=1&b=2`);
    const rmspe = page.getByTestId("metric-rows").locator("tr", { hasText: "CV RMSPE" });
    await rmspe.waitFor();
    // A, B, the difference and the better one.
    expect(await rmspe.locator("td").count()).toBe(4);
    expect(await rmspe.locator("td").nth(2).textContent()).toMatch(/^[+−±]\d/);
    const coverage = (await page.getByTestId("forecast-coverage").textContent()) ?? "";
    expect(coverage).toContain("Version 1");
    expect(coverage).toContain("Version 2");
    const chart = page.locator('[role="img"][aria-label^="Actual sales and the stored forecasts"]');
    await chart.locator("svg").waitFor();
    // Actual sales and one line per version that stored a forecast.
    const stored = (coverage.match(/stored forecast days/g) ?? []).length;
    expect(await chart.locator("svg g.mark-line.role-mark > path").count()).toBe(1 + stored);
    await screenshot(page, "model-compare");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("refuses an unknown or missing version with 400 naming the field, and notes the same version twice", async () => {
    const { page } = await openPage(browser());
    const unknown = await page.goto(`${modelUrl}/compare?a=1&b=99`);
    expect(unknown?.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toBe(`b: there is no version 99 of store ${STORE} ${PRODUCT}`);
    expect(await page.getByLabel("Version B").getAttribute("aria-invalid")).toBe("true");
    const missing = await page.goto(`${modelUrl}/compare?b=1`);
    expect(missing?.status()).toBe(400);
    expect(await page.getByRole("alert").textContent()).toBe("a: choose a version to compare");
    const same = await page.goto(`${modelUrl}/compare?a=2&b=2`);
    expect(same?.status()).toBe(200);
    expect(await page.getByRole("status").textContent()).toContain("A and B are both version 2");
    const gone = await page.goto(`${modelUrl}/versions/99`);
    expect(gone?.status()).toBe(404);
    await page.context().close();
  });

  it("both pages read and the compare form works without JavaScript", async () => {
    const { page } = await openPage(browser(), { javaScriptEnabled: false });
    await page.goto(`${modelUrl}/versions/2`);
    expect(await page.getByTestId("fold-rows").locator("tr").count()).toBeGreaterThan(0);
    await page.getByText("The chart needs JavaScript").waitFor();
    await page.goto(`${modelUrl}/compare?a=2&b=2`);
    await page.getByLabel("Version A").selectOption("1");
    await page.getByRole("button", { name: "Compare" }).click();
    await page.waitForURL(`${modelUrl}/compare?a=1&b=2`);
    expect(await page.getByTestId("metric-rows").locator("tr").count()).toBe(8);
    await screenshot(page, "model-compare-no-js");
    await page.context().close();
  });

  it("fits a phone screen without sideways scrolling", async () => {
    const { page } = await openPage(browser(), { viewport: { width: 390, height: 844 }, colorScheme: "dark" });
    for (const path of [`${modelUrl}/versions/1`, `${modelUrl}/compare?a=1&b=2`]) {
      await page.goto(path);
      await hydrated(page);
      const sideways = await page.evaluate(
        () => document.documentElement.scrollWidth > document.documentElement.clientWidth,
      );
      expect(sideways, path).toBe(false);
    }
    await screenshot(page, "model-compare-phone-dark");
    await page.context().close();
  });
});
