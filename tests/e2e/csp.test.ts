/**
 * The Content-Security-Policy holds in a real browser: every page (Remix's inline scripts carry the
 * response's nonce, Vega draws without eval, Swagger UI starts from a file) reports no violation,
 * and an inline script without the nonce is refused.
 */
import type { Page } from "playwright-core";
import { describe, expect, inject, it } from "vitest";
import { cspViolations, hydrated, openPage, PRODUCT } from "./support/browser.js";
import { useBrowser } from "./support/use-browser.js";

/** Each page, and what shows it has finished drawing. */
const PAGES: [string, (page: Page) => Promise<unknown>][] = [
  ["/", (p) => hydrated(p)],
  ["/stores", (p) => hydrated(p)],
  [`/stores/1?product=${PRODUCT}`, (p) => p.locator('[role="img"][aria-label^="Sales forecast"] svg').waitFor()],
  ["/models", (p) => hydrated(p)],
  [`/models/1/${PRODUCT}`, (p) => hydrated(p)],
  ["/pipelines", (p) => hydrated(p)],
  ["/api/docs", (p) => p.getByRole("button", { name: /^GET\s*\/api\/stores\b(?!\/)/ }).waitFor()],
  ["/api/forecasters/docs", (p) => p.getByRole("button", { name: /^POST\s*\/api\/forecasters\/forecast\b/ }).waitFor()],
  [
    "/api/trainers/docs",
    (p) =>
      p
        .getByRole("button", { name: /\/api\/trainers\/train\b/ })
        .first()
        .waitFor(),
  ],
];

describe("Content-Security-Policy in Chromium", () => {
  const url = inject("serverUrl");
  const browser = useBrowser();

  it.each(PAGES)("%s works under the policy and reports no violation", async (path, drawn) => {
    const { page, errors } = await openPage(browser());
    const res = await page.goto(`${url}${path}`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-/);
    await drawn(page);
    await page.waitForLoadState("networkidle");
    expect(await cspViolations(page)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("refuses an inline script without the nonce, and reports it", async () => {
    const { page } = await openPage(browser());
    await page.goto(`${url}/`);
    await hydrated(page);
    const ran = await page.evaluate(async () => {
      const w = window as unknown as { injected?: boolean };
      const script = document.createElement("script");
      script.textContent = "window.injected = true;";
      document.body.append(script);
      await new Promise((r) => setTimeout(r, 100));
      return w.injected === true;
    });
    expect(ran).toBe(false);
    expect(await cspViolations(page)).toEqual([
      expect.stringContaining("CSP violation: script-src-elem blocked inline"),
    ]);
    await page.context().close();
  });
});
