import { describe, expect, it } from "vitest";
import { isLoopbackHost, loadConfig } from "../../../app/platform/config.server.js";
import { metricsAccess } from "../../../app/server/metrics-access.js";
import { bearerMatches } from "../../../app/server/metrics-listener.server.js";

const TOKEN = "0123456789abcdef0123";

describe("metricsAccess", () => {
  it("is open on the main port only while the server listens on a loopback address", () => {
    for (const HOST of ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.53"]) {
      expect(metricsAccess(loadConfig({ HOST })), HOST).toEqual({ where: "main", token: undefined });
    }
  });

  it("is not served at all on any other address without a token or a port of its own", () => {
    for (const HOST of ["0.0.0.0", "::", "192.168.1.20", "storecast.example.com"]) {
      const access = metricsAccess(loadConfig({ HOST }));
      expect(access.where, HOST).toBe("nowhere");
      expect(access.where === "nowhere" && access.reason).toMatch(/METRICS_TOKEN.*METRICS_PORT/);
    }
  });

  it("needs the token on the main port when METRICS_TOKEN is set, wherever it listens", () => {
    expect(metricsAccess(loadConfig({ HOST: "0.0.0.0", METRICS_TOKEN: TOKEN }))).toEqual({
      where: "main",
      token: TOKEN,
    });
    expect(metricsAccess(loadConfig({ HOST: "127.0.0.1", METRICS_TOKEN: TOKEN }))).toEqual({
      where: "main",
      token: TOKEN,
    });
  });

  it("moves to a listener of its own with METRICS_PORT, with the token when there is one", () => {
    expect(metricsAccess(loadConfig({ HOST: "0.0.0.0", METRICS_PORT: "9464" }))).toEqual({
      where: "port",
      port: 9464,
      token: undefined,
    });
    expect(metricsAccess(loadConfig({ METRICS_PORT: "9464", METRICS_TOKEN: TOKEN }))).toMatchObject({
      where: "port",
      token: TOKEN,
    });
  });

  it("tells loopback hosts from others", () => {
    expect(isLoopbackHost("127.1.2.3")).toBe(true);
    expect(isLoopbackHost("LOCALHOST")).toBe(true);
    expect(isLoopbackHost("127.0.0.1.example.com")).toBe(false);
    expect(isLoopbackHost("localhost.example.com")).toBe(false);
    expect(isLoopbackHost("0.0.0.0")).toBe(false);
  });
});

describe("bearerMatches", () => {
  it("takes exactly `Bearer <token>`", () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(`bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches("", TOKEN)).toBe(false);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(`Basic ${TOKEN}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN}x`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN)).toBe(false);
  });
});
