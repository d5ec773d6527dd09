import type { Server } from "node:http";
import express from "express";
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../app/platform/config.server.js";
import {
  createMutationLimiter,
  mutationLimitMiddleware,
  mutationRateLimits,
} from "../../../app/server/rate-limits.server.js";
import { requestClientKey } from "../../../app/server/request-budget.server.js";
import { freePort } from "../../support/processes.js";
import { describeRateLimits } from "../../support/rate-limit-cases.js";

describeRateLimits("in process", (perMinute, keyPrefix) => createMutationLimiter({ perMinute, keyPrefix }));

/** An express app with the configured middleware in front of a 200. */
async function serve(handler: express.RequestHandler): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(handler);
  app.all("*", (_req, res) => {
    res.json({ ok: true });
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

const warnings: unknown[] = [];
const log = { warn: (obj: unknown) => void warnings.push(obj) };

describe("the rate limits the configuration asks for", () => {
  const closers: (() => Promise<void>)[] = [];
  afterAll(async () => {
    for (const close of closers) await close();
  });

  it("RATE_LIMIT_MUTATIONS is 120 by default, 0 switches the limits off, and a bad value is one line", () => {
    expect(loadConfig({}).RATE_LIMIT_MUTATIONS).toBe(120);
    expect(() => loadConfig({ RATE_LIMIT_MUTATIONS: "-1" })).toThrow(
      /^Invalid environment variable RATE_LIMIT_MUTATIONS/,
    );
    expect(() => loadConfig({ RATE_LIMIT_MUTATIONS: "lots" })).toThrow(/RATE_LIMIT_MUTATIONS: expected an integer/);
  });

  it("off (0): nothing is counted", async () => {
    const limits = mutationRateLimits(loadConfig({ RATE_LIMIT_MUTATIONS: "0" }), log);
    expect(limits.store).toBe("off");
    const app = await serve(limits);
    closers.push(app.close, limits.close);
    const statuses = await Promise.all(
      Array.from({ length: 20 }, () => fetch(`${app.url}/api/x`, { method: "POST" }).then((r) => r.status)),
    );
    expect(new Set(statuses)).toEqual(new Set([200]));
  });

  it("without REDIS_URL, counts in this process", async () => {
    const limits = mutationRateLimits(loadConfig({ RATE_LIMIT_MUTATIONS: "2" }), log);
    expect(limits.store).toBe("memory");
    const app = await serve(limits);
    closers.push(app.close, limits.close);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${app.url}/api/x`, { method: "DELETE" })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("with REDIS_URL unreachable, still limits (counting in this process) and answers at once", async () => {
    const port = await freePort();
    const limits = mutationRateLimits(
      loadConfig({ RATE_LIMIT_MUTATIONS: "2", REDIS_URL: `redis://127.0.0.1:${port}` }),
      log,
    );
    expect(limits.store).toBe("redis");
    const app = await serve(limits);
    closers.push(app.close, limits.close);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(`${app.url}/api/x`, { method: "POST" })).status);
    expect(statuses).toEqual([200, 200, 429]);
  });

  it("a limiter that fails serves the request rather than refusing it, and says so in the log", async () => {
    const failing = { consume: () => Promise.reject(new Error("store down")) } as unknown as RateLimiterAbstract;
    const app = await serve(mutationLimitMiddleware(failing, { perMinute: 1, log }));
    closers.push(app.close);
    warnings.length = 0;
    expect((await fetch(`${app.url}/api/x`, { method: "POST" })).status).toBe(200);
    expect((await fetch(`${app.url}/api/x`, { method: "POST" })).status).toBe(200);
    expect(warnings).toHaveLength(2);
  });

  it("keys a request by the client key the auth gate set, else by the peer address", () => {
    const req = { ip: "10.0.0.9", socket: {} } as express.Request;
    const identity = { clientKey: "user:42" };
    expect(requestClientKey(req, { locals: { identity } } as unknown as express.Response)).toBe("user:42");
    expect(requestClientKey(req, { locals: {} } as unknown as express.Response)).toBe("ip:10.0.0.9");
  });
});
