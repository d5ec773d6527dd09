import { describe, expect, inject, it } from "vitest";
import { openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("API docs (Swagger UI) in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it("renders every operation of /api/openapi.json offline, and expands one", async () => {
    const { page, errors } = await openPage(browser());
    const requests: string[] = [];
    page.on("request", (request) => {
      requests.push(request.url());
    });
    const res = await page.goto(`${url}/api/docs`);
    expect(res?.status()).toBe(200);
    // Swagger UI names each operation's toggle by its method, path and summary.
    const stores = page.getByRole("button", { name: /^GET\s*\/api\/stores\b(?!\/)/ });
    await stores.waitFor();
    await page.getByRole("button", { name: /^POST\s*\/api\/forecasters\/forecast\b/ }).waitFor();
    expect(await page.getByRole("heading", { name: /storecast HTTP API/ }).count()).toBeGreaterThan(0);

    await stores.click();
    await expect.poll(() => stores.getAttribute("aria-expanded")).toBe("true");
    // The expanded operation (the only one) lists its query parameters and a Try-it-out button.
    await page.getByText("limit", { exact: true }).waitFor();
    await page.getByRole("button", { name: "Try it out" }).waitFor();
    await screenshot(page, "api-docs");

    // Every request went to the app: its script, stylesheet, icon and document (no CDN, no validator).
    const origin = new URL(url).origin;
    const elsewhere = requests.filter((r) => !r.startsWith("data:") && new URL(r).origin !== origin);
    expect(elsewhere).toEqual([]);
    expect(requests).toEqual(expect.arrayContaining([`${origin}/api/openapi.json`]));
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows only a reference-compatible service's operations at its own docs page", async () => {
    const { page, errors } = await openPage(browser());
    await page.goto(`${url}/api/forecasters/docs`);
    await page.getByRole("button", { name: /^POST\s*\/api\/forecasters\/forecast\b/ }).waitFor();
    await page.getByRole("button", { name: /^GET\s*\/api\/forecasters\/health\b/ }).waitFor();
    expect(await page.getByRole("button", { name: /\/api\/(stores|trainers)/ }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
