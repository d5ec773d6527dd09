/**
 * A browser without JavaScript, for pages behind sign-in: it keeps the session cookie, reads the
 * CSRF token of the page a form is on, and posts the form with the server's own Origin (the
 * cross-site guard refuses a foreign one) as a browser would.
 */
import { csrfOf } from "./auth.js";

export interface PageAnswer {
  status: number;
  html: string;
  headers: Headers;
  /** Where a redirect points (3xx), else null. */
  location: string | null;
}

export class BrowserSession {
  cookie = "";

  constructor(readonly base: string) {}

  private keepCookie(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(";");
      const [name, value] = pair!.split("=");
      if (name === "storecast_session") this.cookie = /max-age=0/i.test(line) || !value ? "" : pair!;
    }
  }

  async request(path: string, init: RequestInit = {}): Promise<PageAnswer> {
    const headers = new Headers(init.headers);
    if (this.cookie) headers.set("cookie", this.cookie);
    const res = await fetch(`${this.base}${path}`, { redirect: "manual", ...init, headers });
    this.keepCookie(res.headers);
    return { status: res.status, html: await res.text(), headers: res.headers, location: res.headers.get("location") };
  }

  get(path: string): Promise<PageAnswer> {
    return this.request(path);
  }

  /** The CSRF token of the forms on `path` (this session's). */
  async csrf(path = "/"): Promise<string> {
    const page = await this.get(path);
    if (page.status !== 200) throw new Error(`no form on ${path}: HTTP ${page.status}`);
    return csrfOf(page.html);
  }

  /**
   * Posts a form to `path` as the page `from` (default: `path` itself) would: with that page's
   * CSRF token unless `fields` carries one, and this server's Origin.
   */
  async post(path: string, fields: Record<string, string>, opts: { from?: string; origin?: string } = {}) {
    const body = new URLSearchParams(fields);
    if (!body.has("_csrf")) body.set("_csrf", await this.csrf(opts.from ?? path.split("?")[0]));
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", origin: opts.origin ?? this.base },
      body,
    });
  }

  async signIn(username: string, password: string): Promise<void> {
    const res = await this.post("/sign-in", { username, password });
    if (res.status !== 303 || !this.cookie) throw new Error(`sign-in of ${username} failed: ${res.status}`);
  }

  /** A JSON API call with this session's cookie. */
  async api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: unknown; headers: Headers }> {
    const res = await this.request(path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
    });
    return { status: res.status, body: res.html === "" ? null : JSON.parse(res.html), headers: res.headers };
  }
}

/** The text of the first element carrying `marker` (e.g. `data-testid="refusal"`), tags stripped; null when absent. */
export function textAt(html: string, marker: string): string | null {
  const at = html.indexOf(marker);
  if (at < 0) return null;
  const start = html.indexOf(">", at) + 1;
  const end = html.indexOf("</", start);
  return html
    .slice(start, end)
    .replace(/<!-- -->/g, "")
    .replace(/&#x27;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, "&")
    .trim();
}
