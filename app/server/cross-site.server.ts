/**
 * Cross-site request forgery, refused before any route runs: a request that changes state (any
 * method but GET, HEAD and OPTIONS) from a browser must come from this site's own pages or from an
 * origin CORS_ORIGINS allows. Browsers say where a request comes from (Sec-Fetch-Site, Origin);
 * clients that are not browsers send neither and are not at risk (they hold no cookie of ours).
 * Page forms also carry a CSRF token (app/routes/_pages+/forms.server.ts).
 */
import type { RequestHandler } from "express";
import type { Config } from "../platform/config.server.js";
import { isSeedPath } from "./api.server.js";

const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);

/** Whether an Origin is the server's own, as the request's Host names it. */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (!host) return false;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const h = host.toLowerCase();
  // A proxy that drops the port from Host (nginx's $host) still names the same machine.
  return url.host === h || (!h.includes(":") && url.hostname === h) || (h.startsWith("[") && url.host === h);
}

/** Why a request is cross-site, or null when it may go on. */
export function crossSiteReason(
  req: { method: string; headers: Record<string, string | string[] | undefined> },
  allowedOrigins: Config["CORS_ORIGINS"],
): string | null {
  if (SAFE.has(req.method)) return null;
  const header = (name: string) => {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const origin = header("origin");
  const site = header("sec-fetch-site");
  const allowed = (o: string) => allowedOrigins === "*" || (allowedOrigins?.includes(o) ?? false);
  if (origin !== undefined && origin !== "null" && allowed(origin)) return null;
  if (origin !== undefined) {
    if (sameOrigin(origin, header("host"))) return site === "cross-site" ? `Sec-Fetch-Site: ${site}` : null;
    return `Origin ${origin} is not this site`;
  }
  if (site === "cross-site" || site === "same-site") return `Sec-Fetch-Site: ${site}`;
  return null;
}

const PAGE = (reason: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>storecast: forbidden</title></head>` +
  `<body><h1>403 Forbidden</h1><p>This request came from another site (${reason.replace(/[<>&"]/g, "")}), ` +
  `so it was refused. Send it from storecast's own pages.</p><p><a href="/">Back to the overview</a></p></body></html>`;

/** 403 for a cross-site request that changes state: JSON on the API, a page elsewhere. */
export function crossSiteGuard(allowedOrigins: Config["CORS_ORIGINS"]): RequestHandler {
  return (req, res, next) => {
    const reason = crossSiteReason(req, allowedOrigins);
    if (reason === null) return next();
    req.resume();
    const error = `cross-site request refused: ${reason}`;
    res.status(403);
    if (isSeedPath(req.path)) return void res.json({ detail: error });
    if (req.path.startsWith("/api/") || req.path === "/api") {
      return void res.json({ error, details: { field: "origin", origin: req.headers.origin ?? null } });
    }
    res.type("html").send(PAGE(reason));
  };
}
