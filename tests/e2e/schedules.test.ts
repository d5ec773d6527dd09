import { describe, expect, inject, it } from "vitest";
import { hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("schedules page in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("lists the schedules with their cron in words; Pause, Resume and Run now work and say what they did", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/schedules`);
    await hydrated(page);
    const rows = page.getByTestId("schedule-rows").locator("tr");
    expect(await rows.count()).toBe(5);
    const ingest = rows.filter({ has: page.getByRole("rowheader", { name: /^ingest-daily/ }) });
    await expect.poll(() => ingest.textContent()).toContain("On day 29 of the month in February at 00:05 UTC");
    expect(await ingest.textContent()).toContain("5 0 29 2 *");

    await page.getByRole("button", { name: "Pause ingest-daily" }).click();
    await page.getByTestId("done").filter({ hasText: "Paused ingest-daily" }).waitFor();
    await ingest.getByText("Paused", { exact: true }).waitFor();
    await screenshot(page, "schedules");

    await page.getByRole("button", { name: "Resume ingest-daily" }).click();
    await page.getByTestId("done").filter({ hasText: "Resumed ingest-daily" }).waitFor();
    await ingest.getByText("Active", { exact: true }).waitFor();

    await page.getByRole("button", { name: "Run ingest-daily now" }).click();
    await page
      .getByTestId("done")
      .filter({ hasText: /^Started ingest-daily now as job / })
      .waitFor();
    // The last run is the job just started, with its status.
    await expect.poll(() => ingest.textContent()).toMatch(/PENDING|RUNNING|SUCCEEDED|FAILED/);
    expect(page.url()).toMatch(/\/schedules\?done=run/);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("works without JavaScript: the forms post and the page comes back with the outcome", async () => {
    const { page, errors } = await openPage(browser(), { javaScriptEnabled: false });
    await page.goto(`${url}/schedules`);
    await page.getByRole("button", { name: "Pause retention" }).click();
    await page.waitForURL(/\/schedules\?done=pause/);
    expect(await page.getByTestId("done").textContent()).toContain("Paused retention");
    await page.getByRole("button", { name: "Resume retention" }).click();
    await page.waitForURL(/\/schedules\?done=resume/);
    await page.getByRole("button", { name: "Run the batch forecast" }).click();
    await page.waitForURL(/\/schedules\?done=batch-forecast/);
    expect(await page.getByTestId("done").textContent()).toMatch(/Started a batch forecast as job/);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
