/** Signing in and out in a real browser: the form, the way back to the page asked for, the account menu. */
import { describe, expect, inject, it } from "vitest";
import { E2E_ADMIN, hydrated, openPage, screenshot } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

describe("sign-in (Chromium)", () => {
  const browser = useBrowser();
  const url = inject("serverUrl");

  it("sends a visitor to sign in, then back to the page asked for; signing out ends the session", async () => {
    const { page, errors } = await openPage(browser(), { signedIn: false });
    await page.goto(`${url}/pipelines`);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/sign-in");
    await hydrated(page);
    await page.getByLabel("User name").fill(E2E_ADMIN.username);
    await page.getByLabel("Password").fill("not-the-password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("Wrong user name or password");

    await page.getByLabel("Password").fill(E2E_ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/pipelines");
    await expect.poll(() => page.getByRole("link", { name: /e2e-admin \(admin\)/ }).count()).toBe(1);
    // An admin sees the operators' and admins' pages in the menu.
    await expect.poll(() => page.getByRole("navigation", { name: "Main" }).textContent()).toMatch(/Audit.*Admin/);
    await screenshot(page, "signed-in");

    // A session that ends while a page is open: the next in-app navigation leads to the sign-in page.
    await hydrated(page);
    const cookies = await page.context().cookies();
    await page.context().clearCookies();
    await page.getByRole("link", { name: "Models" }).click();
    await expect.poll(() => page.url()).toBe(`${url}/sign-in?next=%2Fmodels`);
    await page.context().addCookies(cookies);
    await page.goto(`${url}/pipelines`);
    await hydrated(page);

    await page.getByRole("button", { name: "Sign out" }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe("/sign-in");
    await page.goto(`${url}/models`);
    await expect.poll(() => new URL(page.url()).pathname).toBe("/sign-in");
    // The wrong password's answer is a 401, which the browser logs; nothing else may fail.
    expect(errors.filter((e) => !/status of 401/.test(e))).toEqual([]);
    await page.context().close();
  });
});
