/**
 * Single sign-on's pure side: which role an identity provider's claims grant, the user name they
 * suggest, and what the sign-in page says when single sign-on fails (shared with the UI).
 */
import { ROLES, type Role } from "./principal.js";

/**
 * A claim by name: the exact name first (namespaced claims such as "https://example.com/roles"
 * contain dots), then a dotted path into nested objects (Keycloak's "realm_access.roles").
 */
export function claimValue(claims: Record<string, unknown>, name: string): unknown {
  if (Object.hasOwn(claims, name)) return claims[name];
  let value: unknown = claims;
  for (const part of name.split(".")) {
    if (typeof value !== "object" || value === null || Array.isArray(value) || !Object.hasOwn(value, part)) {
      return undefined;
    }
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The highest role a claim names: a role name, several in one string (space or comma separated),
 * or an array of groups and roles; case does not matter and entries that name no role are ignored.
 * A claim naming none gets `fallback`; null when that is "none" (sign-in refused).
 */
export function roleFromClaim(value: unknown, fallback: Role | "none"): Role | null {
  const entries = (Array.isArray(value) ? value : [value])
    .filter((v): v is string => typeof v === "string")
    .flatMap((v) => v.split(/[\s,]+/))
    .map((v) => v.toLowerCase());
  const named = ROLES.filter((role) => entries.includes(role));
  return named.at(-1) ?? (fallback === "none" ? null : fallback);
}

/** Characters a user name may not hold (accounts.server.ts's USERNAME) become "-". */
function cleanName(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._@-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 100);
}

/**
 * The name an account created by single sign-on gets: preferred_username, else email, else the
 * subject. Only a label: the account is found by its subject, never by this name.
 */
export function accountName(claims: Record<string, unknown>): string {
  for (const key of ["preferred_username", "email", "sub"]) {
    const value = claims[key];
    const name = typeof value === "string" ? cleanName(value) : "";
    if (name) return name;
  }
  return "sso-user";
}

/** Why a single sign-on failed, as the sign-in page says it (the log has the details). */
export const SSO_FAILURES = {
  "not-configured": "Single sign-on is not configured on this server.",
  unreachable: "The identity provider could not be reached. Try again in a moment, or sign in with a password.",
  expired: "The single sign-on took too long or was started in another browser. Please try again.",
  rejected: "The identity provider's answer did not match this sign-in, so it was refused. Please try again.",
  denied: "The identity provider did not sign you in (denied or cancelled).",
  "no-role": "Your identity provider account has no storecast role. Ask an administrator for access.",
  disabled: "This storecast account is disabled. Ask an administrator.",
  failed: "Single sign-on failed. Please try again, or sign in with a password.",
} as const;

export type SsoFailure = keyof typeof SSO_FAILURES;

export function isSsoFailure(value: unknown): value is SsoFailure {
  return typeof value === "string" && Object.hasOwn(SSO_FAILURES, value);
}

/** The sign-in page's message for `?sso=<code>`; null for no code or an unknown one (never echoed). */
export function ssoFailureMessage(code: unknown): string | null {
  return isSsoFailure(code) ? SSO_FAILURES[code] : null;
}
