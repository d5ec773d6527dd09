/**
 * The browser-facing protections that do not depend on who is asking: security headers (helmet,
 * with a per-request script nonce), HSTS only when the request came over TLS, the Host check
 * against DNS rebinding, and the last error handler (no stack trace in any answer).
 */
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import type { RequestHandler, Response } from "express";
import helmet from "helmet";
import type { Config } from "../platform/config.server.js";
import { isSeedPath } from "./api.server.js";

const NONCE = "storecastCspNonce";

/** This response's script nonce (set by securityHeaders), for <Scripts nonce> and React's stream. */
export function cspNonce(res: Response): string | undefined {
  return res.locals[NONCE] as string | undefined;
}

/**
 * Content-Security-Policy, frame-ancestors 'none' (and X-Frame-Options: DENY), nosniff, a referrer
 * policy, and HSTS on requests that arrived over TLS (req.secure: X-Forwarded-Proto is believed
 * only from a proxy TRUST_PROXY names). Scripts run only from this origin or with the nonce; styles
 * may be inline (React's style attributes, Vega's and Swagger UI's injected styles). In development
 * (Vite's dev server: its own inline scripts and a websocket on another port) there is no CSP.
 */
export function securityHeaders(config: Pick<Config, "NODE_ENV">): RequestHandler {
  const headers = helmet({
    contentSecurityPolicy:
      config.NODE_ENV === "development"
        ? false
        : {
            useDefaults: false,
            directives: {
              defaultSrc: ["'self'"],
              scriptSrc: ["'self'", (_req, res) => `'nonce-${cspNonce(res as Response)}'`],
              scriptSrcAttr: ["'none'"],
              styleSrc: ["'self'", "'unsafe-inline'"],
              imgSrc: ["'self'", "data:"],
              fontSrc: ["'self'", "data:"],
              connectSrc: ["'self'"],
              objectSrc: ["'none'"],
              baseUri: ["'self'"],
              formAction: ["'self'"],
              frameAncestors: ["'none'"],
            },
          },
    // Below, and only over TLS: an HSTS header on plain HTTP would be ignored, or pin a wrong origin.
    strictTransportSecurity: false,
    xFrameOptions: { action: "deny" },
    referrerPolicy: { policy: "same-origin" },
  });
  const hsts = helmet.strictTransportSecurity({ maxAge: 31_536_000, includeSubDomains: false });
  return (req, res, next) => {
    res.locals[NONCE] = randomBytes(18).toString("base64");
    headers(req, res, (err?: unknown) => {
      if (err) return next(err);
      if (req.secure) return hsts(req, res, next);
      next();
    });
  };
}

/** The host name of a Host header: lower case, no port, no trailing dot; IPv6 keeps its brackets. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  const name = h.startsWith("[") ? h.slice(0, h.indexOf("]") + 1) : h.replace(/:\d*$/, "");
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/** The names served when ALLOWED_HOSTS is unset: localhost and HOST when it names one host. */
export function allowedHosts(config: Pick<Config, "HOST" | "ALLOWED_HOSTS">): "*" | string[] {
  if (config.ALLOWED_HOSTS !== undefined) return config.ALLOWED_HOSTS;
  const names = ["localhost", "127.0.0.1", "[::1]"];
  const host = config.HOST.trim().toLowerCase();
  if (isIP(host) === 0 && !names.includes(host)) names.push(host);
  return names;
}

/**
 * Whether a request for `header` may be answered. An IP address always may: DNS rebinding needs a
 * name the attacker controls that resolves to this server, so only names are checked (probes and
 * Prometheus reach replicas by address). `.example.com` allows example.com and its subdomains.
 */
export function hostAllowed(header: string | undefined, allowed: "*" | string[]): boolean {
  if (allowed === "*" || header === undefined) return true;
  const name = hostName(header);
  if (isIP(name.replace(/^\[|\]$/g, "")) !== 0) return true;
  return allowed.some((a) => {
    const entry = a.endsWith(".") ? a.slice(0, -1) : a;
    return entry.startsWith(".") ? name === entry.slice(1) || name.endsWith(entry) : name === entry;
  });
}

/** Answers 421 (JSON) to a request whose Host names a host this server is not configured for. */
export function hostCheck(config: Pick<Config, "HOST" | "ALLOWED_HOSTS">): RequestHandler {
  const allowed = allowedHosts(config);
  return (req, res, next) => {
    if (hostAllowed(req.headers.host, allowed)) return next();
    const error = `Host ${JSON.stringify(hostName(req.headers.host ?? "").slice(0, 100))} is not served here (ALLOWED_HOSTS)`;
    const details = { field: "Host" };
    res.status(421).json(isSeedPath(req.originalUrl) ? { detail: error, ...details } : { error, details });
  };
}
