/**
 * CSRF tokens for page forms: an HMAC of the session (signed tokens bound to it, OWASP's
 * "signed double-submit" without a second cookie, since the session cookie is already there). With
 * auth off there is no session and every form shares the install's token; the Origin check
 * (app/server/cross-site.server.ts) is the first line either way.
 */
import { hmac, sameSecret } from "./secrets.server.js";

/** The name of the hidden field every page form carries. */
export const CSRF_FIELD = "_csrf";

export function csrfToken(key: string, sessionId: string | null | undefined): string {
  return hmac(key, `csrf:${sessionId ?? "no-session"}`);
}

export function validCsrf(key: string, sessionId: string | null | undefined, value: unknown): boolean {
  return typeof value === "string" && sameSecret(value, csrfToken(key, sessionId));
}
