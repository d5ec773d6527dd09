import { describe, expect, inject, it } from "vitest";
import { E2E_STORES, hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("pipeline run page in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("is linked from /pipelines; draws the steps' Gantt, says who started the run, shows and filters its log", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/pipelines?kind=train-all`);
    await hydrated(page);
    // The oldest train-all is the initial training, run at start-up.
    await page
      .getByRole("link", { name: /^Run \d+: details and log$/ })
      .last()
      .click();
    await page.waitForURL(/\/pipelines\/\d+$/);
    await expect.poll(() => page.getByRole("heading", { level: 1 }).textContent()).toMatch(/^Run \d+: train-all/);
    expect(await page.getByTestId("run-trigger").textContent()).toContain("start-up");
    // One bar per recorded step, as the table lists them.
    const steps = await page.getByTestId("step-rows").locator("tr").count();
    expect(steps).toBeGreaterThanOrEqual(2);
    const chart = page.locator('[role="img"][aria-label^="The run\'s steps over time"]');
    await chart.locator("svg").waitFor();
    expect(await chart.locator("svg g.mark-rect.role-mark > path").count()).toBe(steps);
    // The log: the run's own lines, a line per series trained.
    const lines = page.getByTestId("log-lines").locator("li");
    expect(await lines.count()).toBeGreaterThanOrEqual(E2E_STORES + 3);
    expect(await lines.filter({ hasText: "product_A trained" }).count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, "pipeline-run");

    await page.getByRole("link", { name: "Warnings and errors" }).click();
    await page.waitForURL(/\?level=warn/);
    await expect.poll(() => page.getByTestId("log-summary").textContent()).toContain("showing warn and above");
    expect(await page.getByLabel("Level").inputValue()).toBe("warn");
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("follows a running train-all's log live, and Retry is offered only once it has failed or stopped", async () => {
    const { page, errors } = await openPage(browser());
    const newest = async () => {
      const res = await page.request.get(`${url}/api/pipeline-runs?kind=train-all&limit=1`);
      return ((await res.json()) as { runs: { id: number; status: string }[] }).runs[0];
    };
    const before = (await newest())?.id ?? 0;
    await page.goto(`${url}/pipelines`);
    await hydrated(page);
    await page.getByRole("button", { name: "Train all stores" }).click();
    await page.waitForURL(/\/pipelines\?job=/);
    await expect.poll(async () => (await newest())?.id ?? 0, { timeout: 60_000 }).toBeGreaterThan(before);
    const run = (await newest())!;
    await page.goto(`${url}/pipelines/${run.id}`);
    await hydrated(page);
    const heading = page.getByRole("heading", { level: 1 });
    if ((await heading.textContent())?.includes("RUNNING")) {
      await page.evaluate(() => Object.assign(window, { e2eSameDocument: true }));
      await screenshot(page, "pipeline-run-live");
      // The run ends and the page says so without a reload: new lines, then the final status.
      await expect.poll(() => heading.textContent(), { timeout: 120_000 }).toContain("SUCCEEDED");
      expect(await page.evaluate(() => (window as unknown as { e2eSameDocument?: boolean }).e2eSameDocument)).toBe(
        true,
      );
    }
    await expect.poll(() => heading.textContent(), { timeout: 120_000 }).toContain("SUCCEEDED");
    await expect
      .poll(() => page.getByTestId("log-lines").locator("li").last().textContent(), { timeout: 10_000 })
      .toContain("run succeeded");
    expect(await page.getByTestId("run-trigger").textContent()).toContain("from the web page");
    expect(await page.getByRole("link", { name: "Retry" }).count()).toBe(0);
    expect(await page.getByRole("link", { name: "Cancel" }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("an unknown run is the 404 page", async () => {
    const { page } = await openPage(browser());
    const res = await page.goto(`${url}/pipelines/987654`);
    expect(res?.status()).toBe(404);
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe("Page not found");
    expect(await page.locator("main").textContent()).toContain("There is no pipeline run 987654");
    await page.context().close();
  });
});
