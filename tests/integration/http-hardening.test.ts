import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, type RunningServer, startServer, tempDir } from "../support/processes.js";

// The production server as a deployment runs it (on every interface, HOST=0.0.0.0), and on a
// loopback HOST without NODE_ENV, as `npm run serve` ran it before it set NODE_ENV. Small data.
const SMALL = {
  GENERATE_STORES: "2",
  GENERATE_DAYS: "40",
  AUTO_TRAIN: "false",
  STREAM_PRODUCER: "false",
  SCHEDULES: "false",
  LOG_LEVEL: "warn",
  // A deployment that is not loopback-only needs an admin credential (the auth of issue 14).
  ADMIN_USER: "admin",
  ADMIN_PASSWORD: "hardening-test-password-1",
};
const TOKEN = "hardening-metrics-token-0123456789";

function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString();
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"]), body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const serverEnv = (name: string, env: Record<string, string>) => {
  const dir = tempDir(name);
  return { PGLITE_DIR: `${dir}/pglite`, DATA_DIR: dir, ...SMALL, ...env };
};

describe("a server reachable from other machines (HOST=0.0.0.0)", () => {
  let app: RunningServer;
  beforeAll(async () => {
    app = await startServer(serverEnv("hardening-open", { HOST: "0.0.0.0" }));
  });
  afterAll(async () => {
    await app?.stop("SIGKILL");
  });

  it("does not serve /metrics without METRICS_TOKEN or METRICS_PORT, and says so", async () => {
    for (const path of ["/metrics", "/METRICS"]) {
      const res = await get(`${app.url}${path}`);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain("storecast_");
      expect(JSON.parse(res.body).error).toMatch(/METRICS_TOKEN.*METRICS_PORT/);
    }
    expect(app.output()).toMatch(/\/metrics is not served: HOST=0\.0\.0\.0/);
  });

  it("refuses a Host it is not configured for (DNS rebinding) with 421 JSON; addresses pass", async () => {
    const evil = await get(`${app.url}/api/stores`, { Host: "rebind.evil.example" });
    expect(evil.status).toBe(421);
    expect(JSON.parse(evil.body)).toMatchObject({ details: { field: "Host" } });
    const page = await get(`${app.url}/`, { Host: "rebind.evil.example:3000" });
    expect(page.status).toBe(421);
    // Past the check, the auth gate answers (401: nobody signed in), not the Host check.
    expect((await get(`${app.url}/api/stores`, { Host: "localhost" })).status).toBe(401);
    expect((await get(`${app.url}/healthz`, { Host: "localhost:3000" })).status).toBe(200);
    expect((await get(`${app.url}/healthz`, { Host: "10.11.12.13:3000" })).status).toBe(200);
  });

  it("sends the page's scripts with the nonce its Content-Security-Policy names, and no other inline script", async () => {
    const res = await fetch(`${app.url}/`);
    const csp = res.headers.get("content-security-policy") ?? "";
    const nonce = /'nonce-([^']+)'/.exec(csp)?.[1];
    expect(nonce).toBeDefined();
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    const html = await res.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] ?? "");
    expect(scripts.length).toBeGreaterThan(2);
    for (const attrs of scripts) expect(attrs).toContain(`nonce="${nonce}"`);
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("strict-transport-security")).toBeNull();
    // TRUST_PROXY is unset: a client cannot claim TLS for itself.
    const claimed = await fetch(`${app.url}/healthz`, { headers: { "X-Forwarded-Proto": "https" } });
    expect(claimed.headers.get("strict-transport-security")).toBeNull();
  });
});

describe("on a loopback HOST, NODE_ENV unset: metrics on a port of their own, behind a token", () => {
  let app: RunningServer;
  let metricsUrl: string;
  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}`;
    app = await startServer(
      serverEnv("hardening-metrics", {
        HOST: "127.0.0.1",
        METRICS_PORT: String(port),
        METRICS_TOKEN: TOKEN,
        TRUST_PROXY: "loopback",
        NODE_ENV: "",
      }),
    );
  });
  afterAll(async () => {
    await app?.stop("SIGKILL");
  });

  it("serves /metrics only there, only with the token", async () => {
    expect((await get(`${app.url}/metrics`, { Authorization: `Bearer ${TOKEN}` })).status).toBe(404);
    const none = await get(`${metricsUrl}/metrics`);
    expect(none.status).toBe(401);
    expect(none.body).not.toContain("storecast_");
    expect((await get(`${metricsUrl}/metrics`, { Authorization: "Bearer not-the-token" })).status).toBe(401);
    const ok = await get(`${metricsUrl}/metrics`, { Authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain("process_cpu_seconds_total");
    // Nothing else is served on the metrics port.
    expect((await get(`${metricsUrl}/api/stores`, { Authorization: `Bearer ${TOKEN}` })).status).toBe(404);
  });

  it("answers a path that does not decode with a 4xx, JSON on the API, never a stack trace", async () => {
    for (const path of ["/%FF", "/stores/%FF", "/api/stores/%E0%A4%A", "/assets/%FF.js"]) {
      const res = await get(`${app.url}${path}`);
      expect(res.status, path).toBeGreaterThanOrEqual(400);
      expect(res.status, path).toBeLessThan(500);
      expect(res.body, path).not.toMatch(/URIError|node_modules|\/work\/|at decode/);
    }
    const api = await get(`${app.url}/api/stores/%FF`);
    expect(api.type).toMatch(/^application\/json/);
    expect(JSON.parse(api.body)).toMatchObject({ details: { field: "path" } });
  });

  it("sends HSTS when a trusted proxy says the client came over TLS", async () => {
    const res = await fetch(`${app.url}/healthz`, { headers: { "X-Forwarded-Proto": "https" } });
    expect(res.headers.get("strict-transport-security")).toMatch(/^max-age=\d+/);
  });

  it("closes the metrics listener on shutdown", async () => {
    expect(await app.stop("SIGTERM")).toBe(0);
    await expect(fetch(`${metricsUrl}/metrics`)).rejects.toThrow();
  });
});
