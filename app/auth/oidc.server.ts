/**
 * Single sign-on with OpenID Connect (openid-client): the authorization code flow with PKCE (S256),
 * state and nonce. What the callback must check travels in a short-lived signed cookie; the
 * provider's metadata is discovered once and kept, and a failed discovery is tried again on the
 * next sign-in (an identity provider that is down never stops storecast from starting).
 */
import { type Cookie, createCookie } from "@remix-run/node";
import * as client from "openid-client";
import { z } from "zod";
import type { Config } from "../platform/config.server.js";
import { accountName, claimValue, isSsoFailure, roleFromClaim, type SsoFailure } from "./oidc-claims.js";
import type { Role } from "./principal.js";

export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** Fixed redirect URL; unset, the request's origin + CALLBACK_PATH. */
  redirectUrl?: string;
  roleClaim: string;
  defaultRole: Role | "none";
  scopes: string;
  /** Seconds each request to the provider may take (discovery, token, userinfo). */
  timeoutS: number;
}

export const CALLBACK_PATH = "/auth/oidc/callback";
const TIMEOUT_S = 10;

/** The single sign-on settings, or null when OIDC_ISSUER is unset (the config checked the rest). */
export function oidcSettings(config: Config): OidcSettings | null {
  if (!config.OIDC_ISSUER || !config.OIDC_CLIENT_ID || !config.OIDC_CLIENT_SECRET) return null;
  return {
    issuer: new URL(config.OIDC_ISSUER),
    clientId: config.OIDC_CLIENT_ID,
    clientSecret: config.OIDC_CLIENT_SECRET,
    redirectUrl: config.OIDC_REDIRECT_URL,
    roleClaim: config.OIDC_ROLE_CLAIM,
    defaultRole: config.OIDC_DEFAULT_ROLE,
    scopes: config.OIDC_SCOPES,
    timeoutS: TIMEOUT_S,
  };
}

/** A single sign-on that failed, with the code the sign-in page explains (oidc-claims.ts). */
export class SingleSignOnError extends Error {
  override name = "SingleSignOnError";
  constructor(
    readonly code: SsoFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * The failure code of what begin() or complete() threw ("failed" for anything else). By name, not
 * instanceof: the routes run from the Remix build, the client from server.ts's copy of this module.
 */
export function failureCode(err: unknown): SsoFailure {
  const code = (err as { code?: unknown } | null)?.code;
  return (err as Error | null)?.name === "SingleSignOnError" && isSsoFailure(code) ? code : "failed";
}

/** What the callback checks, kept between the redirect to the provider and its answer. */
const flowSchema = z.object({
  state: z.string().min(1).max(200),
  nonce: z.string().min(1).max(200),
  verifier: z.string().min(43).max(128),
  redirectUri: z.string().url().max(2000),
  next: z.string().max(2000),
});
export type OidcFlow = z.infer<typeof flowSchema>;

export const FLOW_COOKIE = "storecast_oidc";

/**
 * The flow's cookie: signed with the session key, HttpOnly, SameSite=Lax (sent on the provider's
 * top-level redirect back), only to /auth/oidc, ten minutes.
 */
export function flowCookie(key: string, secure: boolean): Cookie {
  return createCookie(FLOW_COOKIE, {
    secrets: [key],
    httpOnly: true,
    sameSite: "lax",
    secure,
    path: "/auth/oidc",
    maxAge: 600,
  });
}

/** A parsed cookie value as a flow, or null (absent, forged: a bad signature parses as null). */
export function asFlow(value: unknown): OidcFlow | null {
  const parsed = flowSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

export interface SingleSignOnIdentity {
  subject: string;
  username: string;
  role: Role;
}

export interface OidcClient {
  readonly settings: OidcSettings;
  /** The redirect URI for a request: OIDC_REDIRECT_URL, else the request's origin + CALLBACK_PATH. */
  redirectUri(requestUrl: string): string;
  /** Where to send the browser, and the flow to keep for the callback. */
  begin(redirectUri: string, next: string): Promise<{ url: URL; flow: OidcFlow }>;
  /** Checks the provider's answer (`search`: the callback's query string) and says who signed in. */
  complete(search: string, flow: OidcFlow): Promise<SingleSignOnIdentity>;
}

/** Network failures and timeouts (of fetch, or wrapped by openid-client). */
function unreachable(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (e.name === "TimeoutError" || e.name === "AbortError") return true;
    if (e instanceof TypeError && /fetch failed/i.test(e.message)) return true;
    if ((e as { code?: unknown }).code === "OAUTH_TIMEOUT" || (e as { code?: unknown }).code === "ECONNREFUSED") {
      return true;
    }
  }
  return false;
}

/** Sorts what openid-client threw during the callback into a failure the user is told about. */
function callbackFailure(err: unknown): SingleSignOnError {
  if (err instanceof SingleSignOnError) return err;
  if (err instanceof client.AuthorizationResponseError) {
    const what = err.error_description ? `${err.error}: ${err.error_description}` : err.error;
    return new SingleSignOnError("denied", `the provider answered ${what}`, { cause: err });
  }
  if (unreachable(err)) return new SingleSignOnError("unreachable", "the provider did not answer", { cause: err });
  // The provider refusing this client (not the user's doing): the log says what to check.
  if (err instanceof client.WWWAuthenticateChallengeError) {
    const message = `the provider refused the client (${err.status}): check OIDC_CLIENT_ID and OIDC_CLIENT_SECRET`;
    return new SingleSignOnError("failed", message, { cause: err });
  }
  if (err instanceof client.ResponseBodyError) {
    const message = `the provider answered ${err.error}${err.error_description ? `: ${err.error_description}` : ""}`;
    return new SingleSignOnError("failed", message, { cause: err });
  }
  if (err instanceof client.ClientError) {
    return new SingleSignOnError("rejected", `the answer failed a check: ${err.message} (${err.code})`, {
      cause: err,
    });
  }
  return new SingleSignOnError("failed", `unexpected failure: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

export function createOidcClient(settings: OidcSettings): OidcClient {
  let discovered: Promise<client.Configuration> | undefined;
  // Discovery once; a failure is forgotten so the next sign-in tries again.
  const configuration = () => {
    discovered ??= client
      .discovery(
        settings.issuer,
        settings.clientId,
        { client_secret: settings.clientSecret },
        // The spec's default for a registered client (RFC 7591).
        client.ClientSecretBasic(settings.clientSecret),
        {
          timeout: settings.timeoutS,
          // A provider on this machine over http (the config allows it on loopback only).
          execute: settings.issuer.protocol === "http:" ? [client.allowInsecureRequests] : [],
        },
      )
      .catch((err: unknown) => {
        discovered = undefined;
        throw new SingleSignOnError(
          unreachable(err) ? "unreachable" : "failed",
          `discovery at ${settings.issuer.href} failed: ${(err as Error)?.message ?? String(err)}`,
          { cause: err },
        );
      });
    return discovered;
  };

  return {
    settings,
    redirectUri(requestUrl) {
      return settings.redirectUrl ?? new URL(CALLBACK_PATH, requestUrl).href;
    },

    async begin(redirectUri, next) {
      const config = await configuration();
      const flow: OidcFlow = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        redirectUri,
        next,
      };
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: settings.scopes,
        response_type: "code",
        state: flow.state,
        nonce: flow.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: "S256",
      });
      return { url, flow };
    },

    async complete(search, flow) {
      const config = await configuration();
      try {
        // The answer as it reached the registered redirect URI (the token request repeats that URI).
        const callback = new URL(flow.redirectUri);
        callback.search = search;
        const tokens = await client.authorizationCodeGrant(config, callback, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        });
        const idClaims = tokens.claims();
        if (!idClaims) throw new SingleSignOnError("rejected", "the provider sent no ID token");
        let claims: Record<string, unknown> = { ...idClaims };
        // Many providers put only the basics in the ID token and the rest behind userinfo.
        if (claimValue(claims, settings.roleClaim) === undefined && tokens.access_token) {
          const userinfo = await client.fetchUserInfo(config, tokens.access_token, idClaims.sub);
          claims = { ...userinfo, ...idClaims, [settings.roleClaim]: claimValue(userinfo, settings.roleClaim) };
        }
        const role = roleFromClaim(claimValue(claims, settings.roleClaim), settings.defaultRole);
        if (role === null) {
          throw new SingleSignOnError(
            "no-role",
            `the ${settings.roleClaim} claim names no role and OIDC_DEFAULT_ROLE is none (subject ${idClaims.sub})`,
          );
        }
        return { subject: idClaims.sub, username: accountName(claims), role };
      } catch (err) {
        throw callbackFailure(err);
      }
    },
  };
}
