import { describe, expect, it } from "vitest";
import { oidcSettings } from "../../../app/auth/oidc.server.js";
import { ROLES } from "../../../app/auth/principal.js";
import { ConfigError, loadConfig, OIDC_ROLES } from "../../../app/platform/config.server.js";

const SSO = {
  OIDC_ISSUER: "https://login.example.com/realms/retail",
  OIDC_CLIENT_ID: "storecast",
  OIDC_CLIENT_SECRET: "the-client-secret-value",
};

function configError(env: Record<string, string>): Error {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).not.toContain("\n");
    return err as Error;
  }
  throw new Error("expected a ConfigError");
}

describe("loadConfig: single sign-on (OIDC_*)", () => {
  it("is off with nothing set, with defaults for the rest", () => {
    const c = loadConfig({});
    expect(c.OIDC_ISSUER).toBeUndefined();
    expect(oidcSettings(c)).toBeNull();
    expect(c).toMatchObject({
      OIDC_ROLE_CLAIM: "storecast_role",
      OIDC_DEFAULT_ROLE: "viewer",
      OIDC_SCOPES: "openid profile email",
    });
  });

  it("is on with issuer, client id and secret", () => {
    const c = loadConfig({
      ...SSO,
      OIDC_REDIRECT_URL: "https://storecast.example.com/auth/oidc/callback",
      OIDC_ROLE_CLAIM: "realm_access.roles",
      OIDC_DEFAULT_ROLE: "none",
      OIDC_SCOPES: "  openid   profile groups ",
    });
    expect(oidcSettings(c)).toMatchObject({
      issuer: new URL(SSO.OIDC_ISSUER),
      clientId: "storecast",
      clientSecret: SSO.OIDC_CLIENT_SECRET,
      redirectUrl: "https://storecast.example.com/auth/oidc/callback",
      roleClaim: "realm_access.roles",
      defaultRole: "none",
      scopes: "openid profile groups",
    });
  });

  it.each([
    ["OIDC_CLIENT_ID", { OIDC_ISSUER: SSO.OIDC_ISSUER, OIDC_CLIENT_SECRET: SSO.OIDC_CLIENT_SECRET }],
    ["OIDC_CLIENT_SECRET", { OIDC_ISSUER: SSO.OIDC_ISSUER, OIDC_CLIENT_ID: "storecast" }],
    ["OIDC_ISSUER", { OIDC_CLIENT_ID: "storecast", OIDC_CLIENT_SECRET: SSO.OIDC_CLIENT_SECRET }],
    ["OIDC_ISSUER", { OIDC_REDIRECT_URL: "https://storecast.example.com/auth/oidc/callback" }],
    ["OIDC_CLIENT_ID", { OIDC_ISSUER: SSO.OIDC_ISSUER }],
  ])("is all or nothing: without %s it refuses to start, naming it", (missing, env) => {
    const error = configError(env);
    expect(error.message).toMatch(new RegExp(`^Invalid environment variable ${missing}: single sign-on needs`));
  });

  it.each([
    ["OIDC_ISSUER", "http://login.example.com", /https:\/\/ issuer URL/],
    ["OIDC_ISSUER", "login.example.com", /OIDC_ISSUER/],
    ["OIDC_ISSUER", "https://login.example.com/?tenant=1", /without query/],
    ["OIDC_ISSUER", "https://user:pw@login.example.com", /OIDC_ISSUER/],
    ["OIDC_REDIRECT_URL", "https://storecast.example.com/callback", /ending in \/auth\/oidc\/callback/],
    ["OIDC_REDIRECT_URL", "ftp://storecast.example.com/auth/oidc/callback", /OIDC_REDIRECT_URL/],
    ["OIDC_DEFAULT_ROLE", "root", /expected one of viewer, planner, operator, admin or none/],
    ["OIDC_SCOPES", "profile email", /openid among the scopes/],
    ["OIDC_SCOPES", 'openid "x"', /space-separated scopes/],
  ])("refuses %s=%s", (name, value, message) => {
    const error = configError({ ...SSO, [name]: value });
    expect(error.message).toMatch(new RegExp(`^Invalid environment variable ${name}: `));
    expect(error.message).toMatch(message);
  });

  it("allows an http issuer on a loopback host only (a provider on this machine)", () => {
    expect(loadConfig({ ...SSO, OIDC_ISSUER: "http://127.0.0.1:9000" }).OIDC_ISSUER).toBe("http://127.0.0.1:9000");
    expect(loadConfig({ ...SSO, OIDC_ISSUER: "http://localhost:9000/op" }).OIDC_ISSUER).toBe(
      "http://localhost:9000/op",
    );
  });

  it("never echoes the client secret", () => {
    const error = configError({ ...SSO, OIDC_CLIENT_SECRET: `s3cret-${"x".repeat(1000)}` });
    expect(error.message).toMatch(/OIDC_CLIENT_SECRET/);
    expect(error.message).not.toContain("s3cret");
  });

  it("knows the same roles as app/auth/principal.ts", () => {
    expect([...OIDC_ROLES]).toEqual([...ROLES]);
  });
});
