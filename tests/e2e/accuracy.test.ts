/**
 * The Accuracy page in a real browser: it hydrates under the CSP without errors, the main navigation
 * reaches it, and it says what it has. The e2e server streams no actuals (STREAM_PRODUCER=false),
 * so no forecast has been scored: the page must say so rather than draw empty charts. Its charts
 * with scores are covered by tests/integration/ui-pages.test.ts (the page) and the chart specs' tests.
 */
import { describe, expect, inject, it } from "vitest";
import { hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("the Accuracy page in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("is one click from the overview and shows the monitoring state without errors", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/`);
    await hydrated(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Accuracy", exact: true }).click();
    await page.waitForURL(`${url}/accuracy`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    const stats = page.getByTestId("accuracy-stats");
    await stats.waitFor();
    const text = (await stats.textContent()) ?? "";
    expect(text).toContain("Degraded series");
    expect(text).toContain("AUTO_RETRAIN=");
    expect(await page.getByText("No forecast scored in the last", { exact: false }).count()).toBe(1);
    await screenshot(page, "accuracy");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
