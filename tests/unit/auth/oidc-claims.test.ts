import { describe, expect, it } from "vitest";
import {
  accountName,
  claimValue,
  roleFromClaim,
  SSO_FAILURES,
  ssoFailureMessage,
} from "../../../app/auth/oidc-claims.js";

describe("roleFromClaim", () => {
  it.each([
    ["operator", "operator"],
    ["Admin", "admin"],
    [" planner ", "planner"],
    [["viewer", "operator", "planner"], "operator"],
    [["storecast-users", "admin", "staff"], "admin"],
    ["viewer planner", "planner"],
    ["viewer,operator", "operator"],
  ])("maps %j to the highest role it names: %s", (value, role) => {
    expect(roleFromClaim(value, "viewer")).toBe(role);
  });

  it.each([
    [undefined],
    [null],
    [""],
    ["superuser"],
    [["staff", "everyone"]],
    [42],
    [{ role: "admin" }],
    [[{ role: "admin" }, 7]],
    ["administrator"],
  ])("a claim naming no role (%j) gets the default role", (value) => {
    expect(roleFromClaim(value, "viewer")).toBe("viewer");
    expect(roleFromClaim(value, "planner")).toBe("planner");
  });

  it("a claim naming no role with the default role none refuses (null)", () => {
    expect(roleFromClaim(undefined, "none")).toBeNull();
    expect(roleFromClaim(["staff"], "none")).toBeNull();
    expect(roleFromClaim(["staff", "viewer"], "none")).toBe("viewer");
  });

  it("never grants more than the claim names: the default role is not a floor", () => {
    expect(roleFromClaim("viewer", "operator")).toBe("viewer");
  });
});

describe("claimValue", () => {
  const claims = {
    storecast_role: "operator",
    "https://example.com/roles": ["admin"],
    realm_access: { roles: ["planner"] },
    "a.b": "exact",
    a: { b: "nested" },
  };

  it("reads a claim by its exact name first, dotted or not", () => {
    expect(claimValue(claims, "storecast_role")).toBe("operator");
    expect(claimValue(claims, "https://example.com/roles")).toEqual(["admin"]);
    expect(claimValue(claims, "a.b")).toBe("exact");
  });

  it("then follows a dotted path into nested objects", () => {
    expect(claimValue(claims, "realm_access.roles")).toEqual(["planner"]);
  });

  it("is undefined for what is missing, without reaching into prototypes or arrays", () => {
    expect(claimValue(claims, "groups")).toBeUndefined();
    expect(claimValue(claims, "realm_access.groups")).toBeUndefined();
    expect(claimValue(claims, "realm_access.roles.0")).toBeUndefined();
    expect(claimValue(claims, "storecast_role.length")).toBeUndefined();
    expect(claimValue(claims, "constructor")).toBeUndefined();
    expect(claimValue(claims, "realm_access.__proto__")).toBeUndefined();
  });
});

describe("accountName", () => {
  it("prefers preferred_username, then email, then the subject", () => {
    expect(accountName({ sub: "1", preferred_username: "ana", email: "ana@example.com" })).toBe("ana");
    expect(accountName({ sub: "1", email: "ana@example.com" })).toBe("ana@example.com");
    expect(accountName({ sub: "auth0|123" })).toBe("auth0-123");
  });

  it("keeps to the characters a user name may hold, at most 100", () => {
    expect(accountName({ sub: "x", preferred_username: "Ana María <ana>" })).toBe("Ana-Mar-a-ana");
    expect(accountName({ sub: "x", preferred_username: "a".repeat(300) })).toHaveLength(100);
    expect(accountName({ sub: "x", preferred_username: "  " })).toBe("x");
    expect(accountName({ sub: "!!!" })).toBe("sso-user");
  });
});

describe("ssoFailureMessage", () => {
  it("has a message for each failure code", () => {
    for (const [code, message] of Object.entries(SSO_FAILURES)) expect(ssoFailureMessage(code)).toBe(message);
  });

  it("echoes nothing it does not know", () => {
    expect(ssoFailureMessage(null)).toBeNull();
    expect(ssoFailureMessage("<script>alert(1)</script>")).toBeNull();
    expect(ssoFailureMessage("toString")).toBeNull();
  });
});
