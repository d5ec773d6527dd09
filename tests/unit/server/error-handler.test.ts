import type { AddressInfo } from "node:net";
import express from "express";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { apiRequestGuard } from "../../../app/server/api-guard.server.js";
import { finalErrorHandler } from "../../../app/server/error-handler.server.js";

// The express edge as server.ts wires it: the API guard on /api, a catch-all standing for Remix,
// the final error handler last. Vitest runs with NODE_ENV=test, where express's own handler would
// answer with the stack.
const log = { error: vi.fn(), debug: vi.fn() };
let base = "";
let close = () => {};

beforeAll(async () => {
  const app = express();
  app.use("/api", apiRequestGuard());
  app.get("/boom", () => {
    throw new Error(`secret at ${import.meta.dirname}`);
  });
  app.get("/half", (_req, res, next) => {
    res.write("partial");
    next(new Error("failed after the headers"));
  });
  app.all("*", (_req, res) => {
    res.json({ routed: true });
  });
  app.use(finalErrorHandler(log));
  const server = app.listen(0, "127.0.0.1");
  await new Promise((r) => server.once("listening", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => server.close();
});
afterAll(() => close());

/** fetch sends percent-escapes as written (`/%FF` stays `/%FF`). */
async function get(path: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${base}${path}`, { method });
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: await res.text() };
}

const LEAKS = /node_modules|\bat .+:\d+:\d+|\/work\/|Error:/;

describe("the final error handler", () => {
  it("answers an undecodable path with a 400 page, no stack and no path of this machine", async () => {
    const res = await get("/%FF");
    expect(res.status).toBe(400);
    expect(res.type).toMatch(/^text\/html/);
    expect(res.body).toMatch(/malformed address/);
    expect(res.body).not.toMatch(LEAKS);
  });

  it("answers it in the API's JSON formats under /api, naming the path as the field", async () => {
    const native = await get("/api/stores/%C0%AF");
    expect(native.status).toBe(400);
    expect(native.type).toMatch(/^application\/json/);
    expect(JSON.parse(native.body)).toEqual({
      error: expect.stringMatching(/malformed address/),
      details: { field: "path" },
    });
    const seed = await get("/api/forecasters/%E0%A4");
    expect(JSON.parse(seed.body)).toEqual({ detail: expect.stringMatching(/malformed address/), field: "path" });
  });

  it("answers an unexpected error 500 without its message, and logs it with the stack", async () => {
    log.error.mockClear();
    const res = await get("/boom");
    expect(res.status).toBe(500);
    expect(res.body).toMatch(/internal error/);
    expect(res.body).not.toMatch(/secret/);
    expect(res.body).not.toMatch(LEAKS);
    expect(log.error).toHaveBeenCalledOnce();
    expect((log.error.mock.calls[0]![0] as { err: Error }).err.message).toMatch(/secret/);
  });

  it("closes the connection when part of the answer is already out", async () => {
    await expect(get("/half").then((r) => r.body)).rejects.toThrow();
  });
});

describe("the API guard", () => {
  it("refuses a method Remix does not route with a JSON 405 naming the method", async () => {
    const res = await fetch(`${base}/api/stores`, { method: "PROPFIND" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toMatch(/GET/);
    expect(await res.json()).toMatchObject({ details: { field: "method" } });
    const seed = await fetch(`${base}/api/forecasters/health`, { method: "PURGE" });
    expect(await seed.json()).toMatchObject({ detail: expect.stringMatching(/PURGE/), field: "method" });
  });

  it("refuses the pages' ?_data= protocol on the API, naming the parameter", async () => {
    const res = await get("/api/stores?limit=1&_data=routes%2Fx");
    expect(res.status).toBe(400);
    expect(JSON.parse(res.body)).toEqual({ error: expect.stringMatching(/_data/), details: { field: "_data" } });
  });

  it("refuses an API path with an encoded line break (Remix's API splat stops at one), naming the path", async () => {
    for (const path of ["/api/a%0Ab", "/api/forecasts/1/a%0db", "/api/forecasters/a%E2%80%A8"]) {
      const res = await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body, path).toMatch(/"field":"path"/);
    }
  });

  it("lets everything else through, and leaves the pages alone", async () => {
    expect((await get("/api/stores?limit=1")).body).toBe('{"routed":true}');
    expect((await get("/api/stores", "DELETE")).body).toBe('{"routed":true}');
    expect((await get("/stores?_data=root")).body).toBe('{"routed":true}');
    expect((await get("/stores/1?product=a%0Ab")).body).toBe('{"routed":true}');
  });
});
