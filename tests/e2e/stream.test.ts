/**
 * The Sales stream page in a real browser: reached from the main navigation and from the overview's
 * stream panel, it hydrates under the CSP without errors and shows the in-process topic's
 * partitions and the ingest consumer owning them (the e2e server runs embedded).
 */
import { describe, expect, inject, it } from "vitest";
import { hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("the Sales stream page in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("is one click from the overview's stream panel and shows partitions, the group's member and lag", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/`);
    await hydrated(page);
    await page.getByRole("link", { name: "Partitions, consumers and lag" }).click();
    await page.waitForURL(`${url}/stream`);
    await page.getByRole("heading", { level: 1, name: "Sales stream" }).waitFor();
    expect(await page.getByTestId("stream-summary").textContent()).toContain("sale_rossman_store");
    expect(await page.getByTestId("partition-rows").locator("tr").count()).toBe(3);
    const members = page.getByTestId("member-rows").locator("tr");
    expect(await members.count()).toBe(1);
    expect(await members.first().textContent()).toContain("0, 1, 2");
    await screenshot(page, "stream");
    // And from the main navigation.
    await page.goto(`${url}/`);
    await hydrated(page);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Stream", exact: true }).click();
    await page.waitForURL(`${url}/stream`);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
