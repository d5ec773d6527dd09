/**
 * Contract suite for the rate limits on mutating requests (app/server/rate-limits.server.ts): the same
 * cases run on the in-process limiter (unit) and the Redis one (integration), through a real express
 * app on a free port. A header stands in for the auth gate's client key.
 */
import type { Server } from "node:http";
import express from "express";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LIMIT_NAME, mutationLimitMiddleware } from "../../app/server/rate-limits.server.js";

/** A limiter allowing `perMinute` under its own key prefix (each case starts with fresh budgets). */
export type LimiterFactory = (
  perMinute: number,
  keyPrefix: string,
) => RateLimiterAbstract | Promise<RateLimiterAbstract>;

export interface LimitedApp {
  url: string;
  close(): Promise<void>;
}

/** An express app answering 200 to anything, behind the limit; `x-client` sets the identity's client key. */
export async function limitedApp(limiter: RateLimiterAbstract, perMinute: number): Promise<LimitedApp> {
  const app = express();
  app.use((req, res, next) => {
    const client = req.header("x-client");
    if (client) res.locals.identity = { clientKey: client };
    next();
  });
  app.use(mutationLimitMiddleware(limiter, { perMinute }));
  app.all("*", (_req, res) => {
    res.json({ ok: true });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = server.address();
  if (typeof address !== "object" || !address) throw new Error("no address");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // fetch's idle keep-alive connections would hold close() for seconds
      }),
  };
}

let prefixes = 0;
/** A key prefix no other case (nor run, in a shared Redis) uses. */
export const freshPrefix = (name: string) => `test:rl:${name}:${process.pid}:${Date.now()}:${++prefixes}`;

export function describeRateLimits(name: string, makeLimiter: LimiterFactory): void {
  describe(`rate limits on mutating requests (${name})`, () => {
    const apps: LimitedApp[] = [];
    const start = async (perMinute: number) => {
      const app = await limitedApp(await makeLimiter(perMinute, freshPrefix(name)), perMinute);
      apps.push(app);
      return app.url;
    };
    afterAll(async () => {
      await Promise.all(apps.map((a) => a.close()));
    });

    it("counts every method but GET, HEAD and OPTIONS, and answers 429 with Retry-After beyond the budget", async () => {
      const url = await start(4);
      const statuses: number[] = [];
      for (const method of ["POST", "PUT", "PATCH", "DELETE"]) {
        statuses.push((await fetch(`${url}/api/things`, { method })).status);
      }
      expect(statuses).toEqual([200, 200, 200, 200]);
      for (const method of ["GET", "HEAD", "OPTIONS", "GET"]) {
        expect((await fetch(`${url}/api/things`, { method })).status, method).toBe(200);
      }
      const refused = await fetch(`${url}/api/things`, { method: "POST" });
      expect(refused.status).toBe(429);
      const retryAfter = Number(refused.headers.get("retry-after"));
      expect(Number.isInteger(retryAfter)).toBe(true);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(await refused.json()).toEqual({
        error: expect.stringContaining(LIMIT_NAME),
        details: { limit: LIMIT_NAME, perMinute: 4, retryAfterSeconds: retryAfter },
      });
      // Reads go on.
      expect((await fetch(`${url}/api/things`)).status).toBe(200);
    });

    it("does not count ad-hoc forecasts, which change nothing (the request budgets bound them)", async () => {
      const url = await start(1);
      const post = (path: string) => fetch(`${url}${path}`, { method: "POST", headers: { "x-client": "asker" } });
      for (let i = 0; i < 3; i++) {
        expect((await post("/api/forecasts/1/product_A")).status).toBe(200);
        expect((await post("/api/forecasters/forecast")).status).toBe(200);
      }
      expect((await post("/api/models/1/product_A/retrain")).status).toBe(200);
      expect((await post("/api/models/1/product_A/retrain")).status).toBe(429);
      // Other POSTs under the same prefixes still count.
      expect((await post("/api/forecasts/1/product_A/extra")).status).toBe(429);
    });

    it("keeps a budget per client key", async () => {
      const url = await start(2);
      const post = (client: string) => fetch(`${url}/api/things`, { method: "POST", headers: { "x-client": client } });
      expect([(await post("user:1")).status, (await post("user:1")).status]).toEqual([200, 200]);
      expect((await post("user:1")).status).toBe(429);
      expect((await post("token:7")).status).toBe(200);
      expect((await post("token:7")).status).toBe(200);
      expect((await post("token:7")).status).toBe(429);
      // Without a client key, the peer's address is the key: its budget is separate too.
      expect((await fetch(`${url}/api/things`, { method: "POST" })).status).toBe(200);
    });

    it("counts concurrent requests exactly", async () => {
      const url = await start(10);
      const answers = await Promise.all(
        Array.from({ length: 30 }, () => fetch(`${url}/api/things`, { method: "POST", headers: { "x-client": "c" } })),
      );
      const statuses = answers.map((r) => r.status);
      expect(statuses.filter((s) => s === 200)).toHaveLength(10);
      expect(statuses.filter((s) => s === 429)).toHaveLength(20);
    });

    it("answers in the shape of the path: FastAPI's detail, the API's error, a page for a plain form", async () => {
      const url = await start(1);
      const post = (path: string, headers: Record<string, string> = {}) =>
        fetch(`${url}${path}`, { method: "POST", headers: { "x-client": "shapes", ...headers } });
      expect((await post("/api/trainers/train")).status).toBe(200);

      const seed = await post("/api/trainers/train");
      expect(seed.status).toBe(429);
      expect(await seed.json()).toEqual({
        detail: expect.stringContaining(LIMIT_NAME),
        limit: LIMIT_NAME,
        perMinute: 1,
        retryAfterSeconds: expect.any(Number),
      });
      const trainer = await post("/api/trainers/3/product_A/train");
      expect(await trainer.json()).toMatchObject({ detail: expect.stringContaining("too many requests") });

      const api = await post("/api/train-all", { Accept: "text/html" });
      expect(api.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await api.json()).toMatchObject({ details: { limit: LIMIT_NAME } });

      const form = await post("/stores/3?product=product_A", {
        Accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
        "Content-Type": "application/x-www-form-urlencoded",
      });
      expect(form.status).toBe(429);
      expect(form.headers.get("content-type")).toMatch(/^text\/html/);
      expect(form.headers.get("retry-after")).toMatch(/^\d+$/);
      const html = await form.text();
      expect(html).toMatch(/<h1>Too many requests<\/h1>/);
      expect(html).toContain(LIMIT_NAME);
      expect(html).toContain('href="/stores/3"');

      // Remix's own submission (JavaScript on) reads JSON, like any client that does not ask for a page.
      const data = await post("/stores/3.data", { Accept: "*/*" });
      expect(data.status).toBe(429);
      expect(await data.json()).toMatchObject({ details: { limit: LIMIT_NAME } });
    });

    it("answers a refused request with a body before reading it", async () => {
      const url = await start(1);
      const post = () =>
        fetch(`${url}/api/things`, {
          method: "POST",
          headers: { "x-client": "body", "Content-Type": "application/json" },
          body: JSON.stringify({ pad: "x".repeat(512 * 1024) }),
        });
      expect((await post()).status).toBe(200);
      const refused = await post();
      expect(refused.status).toBe(429);
      expect(await refused.json()).toMatchObject({ details: { limit: LIMIT_NAME } });
    });
  });
}

/** Two limiters on one store (two replicas): one client's budget is shared between them. */
export function describeSharedBudget(name: string, makeLimiter: LimiterFactory): void {
  describe(`rate limits shared by replicas (${name})`, () => {
    let a: LimitedApp;
    let b: LimitedApp;
    beforeAll(async () => {
      const prefix = freshPrefix(`${name}-shared`);
      a = await limitedApp(await makeLimiter(4, prefix), 4);
      b = await limitedApp(await makeLimiter(4, prefix), 4);
    });
    afterAll(async () => {
      await a?.close();
      await b?.close();
    });

    it("counts a client's requests to every replica against one budget", async () => {
      const post = (app: LimitedApp) =>
        fetch(`${app.url}/api/things`, { method: "POST", headers: { "x-client": "user:shared" } });
      const statuses = [];
      for (const app of [a, b, a, b]) statuses.push((await post(app)).status);
      expect(statuses).toEqual([200, 200, 200, 200]);
      expect((await post(a)).status).toBe(429);
      expect((await post(b)).status).toBe(429);
    });
  });
}
