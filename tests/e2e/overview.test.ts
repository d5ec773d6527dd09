import { describe, expect, inject, it } from "vitest";
import { hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("overview in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("loads with the stats and the store search", async () => {
    const { page, errors } = await openPage(browser());
    const res = await page.goto(`${url}/`);
    expect(res?.status()).toBe(200);
    await hydrated(page);
    await page.getByTestId("stats").waitFor();
    expect(((await page.getByTestId("stats").textContent()) ?? "").trim()).not.toBe("");
    const search = page.getByLabel("Find a store");
    await search.waitFor();
    expect(await search.isEditable()).toBe(true);
    // The main navigation reaches every page.
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const name of ["Overview", "Stores", "Models", "Pipelines"]) {
      expect(await nav.getByRole("link", { name, exact: true }).count(), name).toBe(1);
    }
    await screenshot(page, "overview");
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
