/**
 * The API's docs and CORS on a real server process (PGlite, empty database): Swagger UI at /api/docs
 * and beside each reference-compatible service, its assets served by the app (no CDN), the services'
 * own OpenAPI documents, and CORS_ORIGINS (a list, `*`, unset) on /api/* only, preflight included.
 */
import { rm } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningServer, startServer, tempDir } from "../support/processes.js";

const ALLOWED = "http://localhost:5173";
const OTHER = "https://elsewhere.example";
/** Quick to start: no history, no training, no producer. */
const QUIET = { AUTO_LOAD_HISTORY: "false", AUTO_TRAIN: "false", STREAM_PRODUCER: "false", SCHEDULES: "false" };

function useServer(env: Record<string, string>): () => RunningServer {
  const dataDir = tempDir("api-docs");
  let server: RunningServer | undefined;
  beforeAll(async () => {
    server = await startServer({
      PGLITE_DIR: `${dataDir}/pglite`,
      DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ...QUIET,
      ...env,
    });
  });
  afterAll(async () => {
    await server?.stop("SIGKILL");
    await rm(dataDir, { recursive: true, force: true });
  });
  return () => server!;
}

const preflight = (url: string, origin: string) =>
  fetch(url, {
    method: "OPTIONS",
    headers: {
      Origin: origin,
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type, x-client-trace",
    },
  });

/** Every Access-Control-* header of an answer. */
const corsHeaders = (res: Response) => [...res.headers.keys()].filter((name) => name.startsWith("access-control-"));

describe("API docs and CORS_ORIGINS (a list)", () => {
  const server = useServer({ CORS_ORIGINS: `${ALLOWED},https://admin.example` });

  it("answers a preflight from an allowed origin before any route, with any method and header asked for", async () => {
    for (const path of ["/api/stores", "/api/forecasters/forecast", "/api/jobs/some-id"]) {
      const res = await preflight(`${server().url}${path}`, ALLOWED);
      expect(res.status, path).toBe(204);
      expect(await res.text()).toBe("");
      expect(res.headers.get("access-control-allow-origin")).toBe(ALLOWED);
      expect(res.headers.get("access-control-allow-methods")?.split(",")).toEqual(
        expect.arrayContaining(["GET", "POST", "DELETE"]),
      );
      expect(res.headers.get("access-control-allow-headers")).toBe("content-type, x-client-trace");
      expect(res.headers.get("access-control-max-age")).toBe("600");
      expect(res.headers.get("vary")).toMatch(/Origin/);
    }
  });

  it("gives a disallowed origin no CORS header, and runs no route for its preflight", async () => {
    const res = await preflight(`${server().url}/api/stores`, OTHER);
    expect(res.status).toBe(204);
    expect(await res.text()).toBe("");
    expect(corsHeaders(res)).toEqual([]);
    const get = await fetch(`${server().url}/api/stores`, { headers: { Origin: OTHER } });
    expect(get.status).toBe(200);
    expect(corsHeaders(get)).toEqual([]);
  });

  it("answers an allowed origin's requests with its header and Location exposed, errors included", async () => {
    const get = await fetch(`${server().url}/api/stores`, { headers: { Origin: ALLOWED } });
    expect(get.status).toBe(200);
    expect(get.headers.get("access-control-allow-origin")).toBe(ALLOWED);
    expect(get.headers.get("access-control-expose-headers")).toBe("Location");
    const other = await fetch(`${server().url}/api/stores`, { headers: { Origin: "https://admin.example" } });
    expect(other.headers.get("access-control-allow-origin")).toBe("https://admin.example");
    const missing = await fetch(`${server().url}/api/stores/999`, { headers: { Origin: ALLOWED } });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("access-control-allow-origin")).toBe(ALLOWED);
  });

  it("sets no CORS header on pages and probes", async () => {
    for (const path of ["/", "/stores", "/healthz"]) {
      const res = await fetch(`${server().url}${path}`, { headers: { Origin: ALLOWED } });
      expect(res.status, path).toBe(200);
      expect(corsHeaders(res), path).toEqual([]);
      const pre = await preflight(`${server().url}${path}`, ALLOWED);
      expect(corsHeaders(pre), `OPTIONS ${path}`).toEqual([]);
    }
  });

  it("serves Swagger UI at /api/docs with its script and stylesheet from the app itself", async () => {
    const res = await fetch(`${server().url}/api/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('"url":"/api/openapi.json"');
    // Nothing from another host: every script and stylesheet is a path on this server.
    expect(html).not.toMatch(/(?:src|href)="(?:https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)="(\/api\/docs\/assets\/[^"]+)"/g)].map((m) => m[1]!);
    expect(assets.map((a) => a.replace(/\?.*/, "")).sort()).toEqual([
      "/api/docs/assets/favicon-32x32.png",
      "/api/docs/assets/storecast-init.js",
      "/api/docs/assets/swagger-ui-bundle.js",
      "/api/docs/assets/swagger-ui.css",
    ]);
    // No inline script to run (the Content-Security-Policy allows none without the nonce): the
    // options travel as JSON, the start-up script is our file.
    expect([...html.matchAll(/<script(?![^>]*\bsrc=)([^>]*)>/g)].map((m) => m[1]!.trim())).toEqual([
      'id="swagger-ui-options" type="application/json"',
    ]);
    const types: Record<string, RegExp> = { js: /javascript/, css: /^text\/css/, png: /^image\/png/ };
    for (const asset of assets) {
      const file = await fetch(`${server().url}${asset}`);
      expect(file.status, asset).toBe(200);
      expect(file.headers.get("content-type"), asset).toMatch(types[/\.(\w+)\?/.exec(asset)![1]!]!);
      // The package's files are versioned by its version; our start-up script may change without it.
      expect(file.headers.get("cache-control"), asset).toBe(
        asset.includes("storecast-init") ? "public, max-age=300" : "public, max-age=31536000, immutable",
      );
      expect((await file.arrayBuffer()).byteLength, asset).toBeGreaterThan(100);
    }
    // The package's other files (its petstore demo page) are not served.
    expect((await fetch(`${server().url}/api/docs/assets/index.html`)).status).toBe(404);
    expect((await fetch(`${server().url}/api/docs/assets/swagger-initializer.js`)).status).toBe(404);
  });

  it("serves each reference-compatible service's own OpenAPI 3.1 document and Swagger UI beside it", async () => {
    const main = (await (await fetch(`${server().url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
    for (const service of ["forecasters", "trainers"]) {
      const res = await fetch(`${server().url}/api/${service}/openapi.json`);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toMatch(/^application\/json/);
      const doc = (await res.json()) as {
        openapi: string;
        info: { title: string; version: string };
        paths: Record<string, Record<string, unknown>>;
      };
      expect(doc.openapi).toBe("3.1.0");
      expect(doc.info.title).toContain(service);
      expect(doc.info.version).toBeTruthy();
      const paths = Object.keys(doc.paths);
      expect(paths.length, service).toBeGreaterThan(0);
      for (const path of paths) expect(path).toMatch(new RegExp(`^/api/${service}/`));
      // Every reference path of the service, as the whole document has it, and nothing else.
      const expected = Object.keys(main.paths).filter(
        (p) => p.startsWith(`/api/${service}/`) && p !== `/api/${service}/openapi.json`,
      );
      expect(paths.sort()).toEqual(expected.sort());

      const page = await fetch(`${server().url}/api/${service}/docs`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(await page.text()).toContain(`"url":"/api/${service}/openapi.json"`);
    }
    expect(Object.keys(main.paths)).toEqual(
      expect.arrayContaining(["/api/forecasters/openapi.json", "/api/trainers/openapi.json"]),
    );
  });
});

describe("CORS_ORIGINS=*", () => {
  const server = useServer({ CORS_ORIGINS: "*" });

  it("allows any origin on the API, and still not on pages", async () => {
    const pre = await preflight(`${server().url}/api/forecasters/forecast`, OTHER);
    expect(pre.status).toBe(204);
    expect(pre.headers.get("access-control-allow-origin")).toBe("*");
    expect(pre.headers.get("access-control-allow-headers")).toBe("content-type, x-client-trace");
    const get = await fetch(`${server().url}/api/stores`, { headers: { Origin: OTHER } });
    expect(get.headers.get("access-control-allow-origin")).toBe("*");
    expect(corsHeaders(await fetch(`${server().url}/`, { headers: { Origin: OTHER } }))).toEqual([]);
  });
});

describe("CORS_ORIGINS unset", () => {
  const server = useServer({});

  it("sends no CORS header at all, and answers a preflight without running the route", async () => {
    const pre = await preflight(`${server().url}/api/stores`, ALLOWED);
    expect(pre.status).toBe(204);
    expect(await pre.text()).toBe("");
    expect(corsHeaders(pre)).toEqual([]);
    const get = await fetch(`${server().url}/api/stores`, { headers: { Origin: ALLOWED } });
    expect(get.status).toBe(200);
    expect(corsHeaders(get)).toEqual([]);
  });
});
