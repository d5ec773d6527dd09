import { request, type Server } from "node:http";
import express from "express";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../app/platform/config.server.js";
import { finalErrorHandler } from "../../../app/server/error-handler.server.js";
import {
  allowedHosts,
  cspNonce,
  hostAllowed,
  hostCheck,
  hostName,
  securityHeaders,
} from "../../../app/server/http-security.server.js";

describe("the Host check", () => {
  it("reads the name of a Host header", () => {
    expect(hostName("Example.COM:8080")).toBe("example.com");
    expect(hostName("localhost.")).toBe("localhost");
    expect(hostName("[::1]:3000")).toBe("[::1]");
    expect(hostName("127.0.0.1")).toBe("127.0.0.1");
  });

  it("serves localhost and HOST when it is a name, by default", () => {
    expect(allowedHosts(loadConfig({}))).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    expect(allowedHosts(loadConfig({ HOST: "storecast.lan" }))).toEqual([
      "localhost",
      "127.0.0.1",
      "[::1]",
      "storecast.lan",
    ]);
    expect(allowedHosts(loadConfig({ HOST: "10.0.0.5" }))).toEqual(["localhost", "127.0.0.1", "[::1]"]);
    expect(allowedHosts(loadConfig({ ALLOWED_HOSTS: "a.example, .b.example" }))).toEqual(["a.example", ".b.example"]);
    expect(allowedHosts(loadConfig({ ALLOWED_HOSTS: "*" }))).toBe("*");
  });

  it("refuses other names, a rebinding attacker's in particular; addresses always pass", () => {
    const allowed = allowedHosts(loadConfig({ ALLOWED_HOSTS: "localhost,storecast.example.com,.corp.example" }));
    for (const ok of [
      "localhost:3000",
      "storecast.example.com",
      "STORECAST.example.com.:443",
      "corp.example",
      "a.b.corp.example",
      "10.1.2.3:3000",
      "[::1]:3000",
      "[fd00::5]",
      undefined,
    ]) {
      expect(hostAllowed(ok, allowed), String(ok)).toBe(true);
    }
    for (const bad of ["evil.example", "storecast.example.com.evil.example", "xcorp.example", "localhost.evil", ""]) {
      expect(hostAllowed(bad, allowed), bad).toBe(false);
    }
    expect(hostAllowed("anything.example", "*")).toBe(true);
  });
});

/** A GET with exactly this Host header (fetch sets its own). */
function getWithHost(url: string, host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { Host: host } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("the HTTP protections on a live Express app", () => {
  let server: Server;
  let url: string;
  const log = pino({ level: "silent" });

  beforeAll(async () => {
    const app = express();
    app.set("trust proxy", loadConfig({ TRUST_PROXY: "loopback" }).TRUST_PROXY);
    app.use(hostCheck(loadConfig({})), securityHeaders(loadConfig({})));
    app.get("/nonce", (_req, res) => {
      res.json({ nonce: cspNonce(res) });
    });
    app.get("/boom", () => {
      throw new Error("secret detail at /srv/app/file.ts:12");
    });
    app.get("/api/forecasters/x/:p", (_req, res) => {
      res.json({});
    });
    app.get("/x/:p", (_req, res) => {
      res.json({});
    });
    app.use(finalErrorHandler(log));
    server = await new Promise((resolve) => {
      const s = app.listen(0, "127.0.0.1", () => resolve(s));
    });
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });

  it("sends a CSP whose script nonce is new on each response, and the other security headers", async () => {
    const a = await fetch(`${url}/nonce`);
    const b = await fetch(`${url}/nonce`);
    const nonceA = ((await a.json()) as { nonce: string }).nonce;
    const nonceB = ((await b.json()) as { nonce: string }).nonce;
    expect(nonceA).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(nonceA).not.toBe(nonceB);
    const csp = a.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(
      csp.split(";").map((d) => {
        const [name, ...values] = d.trim().split(/\s+/);
        return [name, values.join(" ")];
      }),
    );
    expect(directives["script-src"]).toBe(`'self' 'nonce-${nonceA}'`);
    expect(directives["script-src"]).not.toContain("unsafe");
    expect(directives["frame-ancestors"]).toBe("'none'");
    expect(directives["object-src"]).toBe("'none'");
    expect(directives["default-src"]).toBe("'self'");
    expect(a.headers.get("x-frame-options")).toBe("DENY");
    expect(a.headers.get("x-content-type-options")).toBe("nosniff");
    expect(a.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("sends HSTS only on requests that came over TLS through a trusted proxy", async () => {
    expect((await fetch(`${url}/nonce`)).headers.get("strict-transport-security")).toBeNull();
    const tls = await fetch(`${url}/nonce`, { headers: { "X-Forwarded-Proto": "https" } });
    expect(tls.headers.get("strict-transport-security")).toBe("max-age=31536000");
  });

  it("answers a foreign Host with 421 JSON naming the field", async () => {
    const res = await getWithHost(`${url}/nonce`, "evil.example");
    expect(res.status).toBe(421);
    expect(JSON.parse(res.body)).toEqual({
      error: 'Host "evil.example" is not served here (ALLOWED_HOSTS)',
      details: { field: "Host" },
    });
    const seed = await getWithHost(`${url}/api/forecasters/x/1`, "evil.example:80");
    expect(seed.status).toBe(421);
    expect(JSON.parse(seed.body)).toMatchObject({ detail: expect.stringContaining("evil.example"), field: "Host" });
    expect((await getWithHost(`${url}/nonce`, "localhost:3000")).status).toBe(200);
    expect((await getWithHost(`${url}/nonce`, "10.0.0.7:3000")).status).toBe(200);
  });

  it("answers what Express rejects as JSON without a stack trace or a path on disk", async () => {
    for (const path of ["/x/%FF", "/x/%E0%A4%A", "/api/forecasters/x/%FF"]) {
      const res = await fetch(`${url}${path}`);
      const text = await res.text();
      expect(res.status, path).toBe(400);
      expect(text, path).not.toMatch(/URIError|node_modules|at \w|\/srv\//);
      if (path.startsWith("/api/")) {
        expect(res.headers.get("content-type"), path).toMatch(/^application\/json/);
        expect(JSON.parse(text), path).toMatchObject({ field: "path" });
      } else {
        expect(res.headers.get("content-type"), path).toMatch(/^text\/html/);
      }
    }
    const boom = await fetch(`${url}/boom`);
    expect(boom.status).toBe(500);
    const text = await boom.text();
    expect(text).not.toMatch(/secret|\/srv\/|at /);
    expect(text).toMatch(/internal error/);
  });
});
