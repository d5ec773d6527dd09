// Apart from browser.ts, which the global setup imports: vitest's hooks cannot be loaded there.
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, inject } from "vitest";
import { launchBrowser, setSession } from "./browser.js";

/** One Chromium for the calling describe block: launched before its tests, closed after them. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    setSession(inject("serverUrl"), inject("sessionCookie"));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error("Chromium is not running yet: call the getter inside a test");
    return browser;
  };
}
