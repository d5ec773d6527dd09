/**
 * The real browser for the e2e tests: Debian's Chromium driven by playwright-core (no browser
 * download), headless, with every background service that would phone home switched off.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContextOptions, chromium, type Page } from "playwright-core";
import { ROOT } from "../../support/processes.js";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const E2E_STORES = 5;
export const E2E_ADMIN = { username: "e2e-admin", password: "e2e-admin-password" };

/** The session every new page starts with (set by useBrowser from the global setup's sign-in). */
let session: { url: string; cookie: string } | undefined;
export function setSession(url: string, cookie: string): void {
  session = { url, cookie };
}
export const PRODUCT = "product_A";
export const RESULTS_DIR = path.join(ROOT, "test-results");

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: FLAGS, timeout: 60_000 });
}

export interface TrackedPage {
  page: Page;
  /** Uncaught page errors and console errors seen so far (a broken hydration shows up here). */
  errors: string[];
}

/** A fresh context and page (desktop size unless told otherwise) that records script errors. */
export async function openPage(
  browser: Browser,
  opts: BrowserContextOptions & { signedIn?: boolean } = {},
): Promise<TrackedPage> {
  const { signedIn = true, ...contextOpts } = opts;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, ...contextOpts });
  if (signedIn && session) {
    const [name, ...value] = session.cookie.split("=");
    await context.addCookies([{ name: name!, value: value.join("="), url: session.url }]);
  }
  context.setDefaultTimeout(30_000);
  // Every Content-Security-Policy violation is kept on the page (csp.test.ts reads them) and
  // reported as an error, so any page test that expects no errors also expects none.
  await context.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { __cspViolations: string[] }).__cspViolations = seen;
    document.addEventListener("securitypolicyviolation", (e) => {
      const line = `CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || "inline"} (${e.sourceFile}:${e.lineNumber})`;
      seen.push(line);
      console.error(line);
    });
  });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (err) => errors.push(`pageerror: ${err.message}`));
  page.on("console", (msg) => {
    // A missing favicon is the browser's business, not the app's.
    if (msg.type() === "error" && !/favicon/.test(msg.location().url)) errors.push(`console: ${msg.text()}`);
  });
  return { page, errors };
}

/** The Content-Security-Policy violations the page reported so far. */
export function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (window as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
}

/** Saves a full-page screenshot as test-results/e2e-{name}.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `e2e-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/**
 * Waits until Remix has hydrated the page, so clicks go to React's handlers and not to a plain
 * form submission of a page still loading its scripts: the router exists once the client entry
 * ran, and hydration is done well before the network has been quiet for half a second.
 */
export async function hydrated(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __remixRouter?: unknown }).__remixRouter !== undefined);
  await page.waitForLoadState("networkidle");
}
