/**
 * A real OpenID Connect provider for the single sign-on tests (oidc-provider, in this process, on
 * its own port), and a browser without JavaScript to walk its pages: a cookie jar, redirects
 * followed by hand, the provider's login and consent forms (its devInteractions) submitted.
 */
import { createServer, type Server } from "node:http";
import Provider from "oidc-provider";

export interface TestProvider {
  issuer: string;
  close(): Promise<void>;
}

export interface TestProviderOptions {
  port: number;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Extra claims by account id (the login name typed into the provider's form). */
  accounts: Record<string, Record<string, unknown>>;
}

/**
 * Starts oidc-provider at http://127.0.0.1:<port>. Any login name signs in (devInteractions); its
 * claims are sub, preferred_username and email, plus what `accounts` gives it. Every claim but sub
 * comes with the `profile` or `email` scope, and oidc-provider then puts it in userinfo only, not
 * in the ID token (as many real providers do).
 */
export async function startOidcProvider(opts: TestProviderOptions): Promise<TestProvider> {
  const issuer = `http://127.0.0.1:${opts.port}`;
  const extra = new Set(Object.values(opts.accounts).flatMap((claims) => Object.keys(claims)));
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: opts.clientId,
        client_secret: opts.clientSecret,
        redirect_uris: opts.redirectUris,
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], profile: ["preferred_username", ...extra], email: ["email"] },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({ sub: id, preferred_username: id, email: `${id}@example.test`, ...opts.accounts[id] }),
    }),
    pkce: { required: () => true },
    ttl: { Interaction: 600, Session: 600, Grant: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    cookies: { keys: ["storecast-test-provider-cookie-key"] },
    // The provider's own errors (a bad client, a tampered request) are the tests' business, not noise.
    renderError: (ctx: { type: string; body: string }, out: Record<string, string>) => {
      ctx.type = "json";
      ctx.body = JSON.stringify(out);
    },
  });
  const server: Server = createServer(provider.callback());
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, "127.0.0.1", () => resolve());
  });
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * A browser's cookies, by name only: cookies are not kept apart by port, so storecast and the
 * provider on 127.0.0.1 share one jar as they would in a browser (their names differ).
 */
export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  take(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair = "", ...attributes] = line.split(";").map((s) => s.trim());
      const at = pair.indexOf("=");
      const name = pair.slice(0, at);
      const value = pair.slice(at + 1);
      const gone = attributes.some(
        (a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && Date.parse(a.slice(8)) <= Date.now()),
      );
      if (gone || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

/** One request as the browser makes it: cookies sent and kept, no redirect followed. */
export async function browse(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (jar.cookies.size > 0) headers.set("Cookie", jar.header());
  const res = await fetch(url, { ...init, headers, redirect: "manual" });
  jar.take(res);
  return res;
}

const decode = (s: string) =>
  s
    .replace(/&amp;/g, "&")
    .replace(/&quot;/g, '"')
    .replace(/&#x2F;/g, "/");

/** The page's first form: where it posts and its hidden fields. */
function formOf(html: string, base: string): { action: string; fields: Record<string, string> } {
  const form = /<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error(`no form on the provider's page:\n${html.slice(0, 2000)}`);
  const fields: Record<string, string> = {};
  for (const input of form[2]!.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]*)"/.exec(input[0])?.[1];
    const value = /value="([^"]*)"/.exec(input[0])?.[1];
    if (name) fields[name] = decode(value ?? "");
  }
  return { action: new URL(decode(form[1]!), base).href, fields };
}

/** How the user answers the provider's pages. */
export interface ProviderUser {
  /** The login name typed into the login form (the account id). */
  login: string;
  /** Cancel at the login form instead (the provider then answers access_denied). */
  cancel?: boolean;
}

/**
 * Follows redirects from `url`, answering the provider's login and consent forms as `user`, until
 * a redirect points at `stopAt` (the client's callback): returns that URL, not yet requested.
 */
export async function walkProvider(jar: CookieJar, url: string, user: ProviderUser, stopAt: string): Promise<URL> {
  let next = url;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const res = await browse(jar, next, init);
    init = {};
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      const target = new URL(location, next);
      if (target.href.startsWith(stopAt)) return target;
      next = target.href;
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`provider answered ${res.status} at ${next}: ${html.slice(0, 500)}`);
    const { action, fields } = formOf(html, next);
    if (fields.prompt === "login" && user.cancel) {
      // The devInteractions page's "Cancel" link: /interaction/<uid>/abort.
      const abort = /href="([^"]*\/abort)"/.exec(html)?.[1];
      if (!abort) throw new Error(`no abort link on the login page:\n${html.slice(0, 2000)}`);
      next = new URL(decode(abort), next).href;
      continue;
    }
    const body = new URLSearchParams(fields);
    if (fields.prompt === "login") {
      body.set("login", user.login);
      body.set("password", "any password");
    }
    next = action;
    init = { method: "POST", body, headers: { "Content-Type": "application/x-www-form-urlencoded" } };
  }
  throw new Error(`the provider never redirected to ${stopAt}`);
}
