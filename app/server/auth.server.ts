/**
 * Who sent a request, decided before any route runs (docs/decisions/0021). A bearer token (API
 * clients) or the session cookie (browsers) names a principal; with auth off everyone is the open
 * principal. Then the gate: nobody signed in reaches only the public paths (sign-in, health,
 * docs), and a viewer changes nothing but its own session and password. Finer roles are each
 * route's (requireRole, app/server/authorize.server.ts).
 */
import type { Request as ExpressRequest, Response as ExpressResponse, RequestHandler } from "express";
import { clientKey as keyOf, OPEN_PRINCIPAL, type Principal } from "../auth/principal.js";
import { sessionCookie, sessionPrincipal } from "../auth/sessions.server.js";
import { tokenPrincipal } from "../auth/tokens.server.js";
import type { Database } from "../platform/db.server.js";
import { isSeedPath } from "./api.server.js";

/** What the gate leaves in res.locals for the routes (server.ts hands it to the load context). */
export interface RequestIdentity {
  principal: Principal | null;
  /** The session's id (the token's hash), when signed in with a cookie. */
  sessionId: string | null;
  clientKey: string;
  clientIp: string;
}

export interface AuthSettings {
  mode: "on" | "off";
  db: Pick<Database, "sql">;
  /** Signs the session cookie (app/auth/keys.server.ts). */
  key: string;
}

/** Paths anyone may reach with auth on: signing in, probes, the API's documentation. */
const PUBLIC = [
  // `.data`: the same page's data, as Remix's client fetches it.
  /^\/sign-in(\/|\.data)?$/,
  // Remix's route manifest (which page modules exist): the sign-in page's links ask for it.
  /^\/__manifest$/,
  /^\/auth\/oidc(\/|$)/,
  /^\/(healthz|readyz)\/?$/,
  /^\/api\/(forecasters\/|trainers\/)?(docs|openapi\.json)\/?$/,
];
/** What a viewer (or anyone signed in) may post: its own session and password. */
const OWN = [/^\/sign-in(\/|\.data)?$/, /^\/sign-out(\/|\.data)?$/, /^\/account(\/|\.data)?$/, /^\/auth\/oidc(\/|$)/];
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

export const isPublicPath = (path: string) => PUBLIC.some((p) => p.test(path));

export function identityOf(res: ExpressResponse): RequestIdentity {
  return res.locals.identity as RequestIdentity;
}

async function resolve(
  req: ExpressRequest,
  settings: AuthSettings,
): Promise<Omit<RequestIdentity, "clientKey" | "clientIp"> | "bad-token"> {
  if (settings.mode === "off") return { principal: OPEN_PRINCIPAL, sessionId: null };
  const authorization = req.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    const principal = match ? await tokenPrincipal(settings.db, match[1]!) : null;
    return principal ? { principal, sessionId: null } : "bad-token";
  }
  const token: unknown = await sessionCookie(settings.key, { secure: false }).parse(req.headers.cookie ?? null);
  if (typeof token !== "string") return { principal: null, sessionId: null };
  const session = await sessionPrincipal(settings.db, token);
  return session
    ? { principal: session.principal, sessionId: session.sessionId }
    : { principal: null, sessionId: null };
}

function refuse(req: ExpressRequest, res: ExpressResponse, status: 401 | 403, error: string): void {
  req.resume();
  res.status(status);
  if (status === 401) res.setHeader("WWW-Authenticate", 'Bearer realm="storecast"');
  if (isSeedPath(req.path)) return void res.json({ detail: error });
  if (req.path.startsWith("/api/") || req.path === "/api" || req.path === "/metrics") {
    return void res.json({ error, details: { field: status === 401 ? "authorization" : "role" } });
  }
  res
    .type("html")
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>storecast: ${status}</title></head><body>` +
        `<h1>${status === 401 ? "Sign in first" : "403 Forbidden"}</h1><p>${error}</p>` +
        `<p><a href="/sign-in">Sign in</a> · <a href="/">Overview</a></p></body></html>`,
    );
}

/**
 * A page asked for by someone not signed in goes to the sign-in page, then back. Remix's client
 * fetches a page's data at `/page.data`: it gets the redirect in Remix's single-fetch form (what a
 * loader's `throw redirect()` gives; reload: a full page load of the sign-in page).
 */
function signInFirst(req: ExpressRequest, res: ExpressResponse): void {
  const dataRequest = req.path.endsWith(".data");
  const pagePath = dataRequest ? req.path.slice(0, -".data".length) || "/" : req.path;
  const search = new URLSearchParams(req.originalUrl.split("?")[1] ?? "");
  search.delete("_routes");
  const asked = `${pagePath === "/_root" ? "/" : pagePath}${search.size ? `?${search}` : ""}`;
  const next = asked.startsWith("/") && !asked.startsWith("//") ? asked : "/";
  const target = `/sign-in?${new URLSearchParams({ next })}`;
  if (!dataRequest) return void res.redirect(303, target);
  res
    .status(202)
    .set({ "Content-Type": "text/x-script; charset=utf-8", "X-Remix-Response": "yes" })
    .send(
      `[["SingleFetchRedirect",1],{"_2":3,"_4":5,"_6":7,"_8":9,"_10":7},"redirect",${JSON.stringify(target)},` +
        `"status",302,"revalidate",false,"reload",true,"replace"]`,
    );
}

/** Resolves the principal of every request and refuses what nobody signed in may reach. */
export function authGate(settings: AuthSettings): RequestHandler {
  return (req, res, next) => {
    resolve(req, settings).then(
      (found) => {
        const clientIp = req.ip ?? req.socket.remoteAddress ?? "unknown";
        if (found === "bad-token") {
          res.locals.identity = { principal: null, sessionId: null, clientKey: keyOf(null, clientIp), clientIp };
          return refuse(req, res, 401, "the bearer token is unknown or revoked");
        }
        const identity: RequestIdentity = { ...found, clientKey: keyOf(found.principal, clientIp), clientIp };
        res.locals.identity = identity;
        const { principal } = identity;
        if (principal === null && !isPublicPath(req.path)) {
          if (SAFE.has(req.method) && !req.path.startsWith("/api") && req.path !== "/metrics") {
            return signInFirst(req, res);
          }
          return refuse(req, res, 401, "sign in or send an API token (Authorization: Bearer)");
        }
        if (principal?.role === "viewer" && !SAFE.has(req.method) && !OWN.some((p) => p.test(req.path))) {
          return refuse(req, res, 403, `the ${principal.role} role may not change anything (${principal.name})`);
        }
        next();
      },
      (err: unknown) => next(err),
    );
  };
}
