/**
 * Serves /metrics the way metricsAccess() decided: on the main app (behind a Bearer token when one
 * is configured), on a listener of its own, or not at all (a JSON 404 that says which variable to set).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Server } from "node:http";
import express, { type Express, type RequestHandler } from "express";
import type { Logger } from "pino";
import type { Config } from "../platform/config.server.js";
import { labelRoute, metricsEndpoint } from "./http-metrics.server.js";
import { metricsAccess } from "./metrics-access.js";

const digest = (value: string) => createHash("sha256").update(value).digest();

/** Whether `header` is `Bearer <token>`, compared in constant time (hashes have one length). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? "");
  return match !== null && timingSafeEqual(digest(match[1]!), digest(token));
}

function requireToken(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (token === undefined || bearerMatches(req.headers.authorization, token)) return next();
    labelRoute(res, "/metrics");
    res.setHeader("WWW-Authenticate", 'Bearer realm="metrics"');
    res.status(401).json({
      error: "/metrics needs the metrics token: Authorization: Bearer <METRICS_TOKEN>",
      details: { field: "Authorization" },
    });
  };
}

function notServed(message: string): RequestHandler {
  return (_req, res) => {
    labelRoute(res, "/metrics");
    res.status(404).json({ error: message, details: { path: "/metrics" } });
  };
}

export interface MetricsServing {
  /** Where Prometheus scrapes, for the start-up log. */
  describe: string;
  close(): Promise<void>;
}

/** Mounts /metrics on `app` (call before the Remix handler) and starts the metrics listener if any. */
export async function serveMetrics(
  app: Express,
  config: Pick<Config, "HOST" | "PORT" | "METRICS_TOKEN" | "METRICS_PORT">,
  log: Logger,
): Promise<MetricsServing> {
  const access = metricsAccess(config);
  if (access.where === "main") {
    app.get("/metrics", requireToken(access.token), metricsEndpoint);
    return { describe: `/metrics on port ${config.PORT}${access.token ? " (token)" : ""}`, close: async () => {} };
  }
  if (access.where === "nowhere") {
    log.warn(`/metrics is not served: ${access.reason}`);
    app.all("/metrics", notServed(`/metrics is not served here: ${access.reason}`));
    return { describe: "/metrics off", close: async () => {} };
  }
  app.all("/metrics", notServed(`/metrics is served on the metrics port (METRICS_PORT), not here`));
  const metricsApp = express();
  metricsApp.disable("x-powered-by");
  metricsApp.get("/metrics", requireToken(access.token), metricsEndpoint);
  metricsApp.use((_req, res) => {
    res.status(404).json({ error: "this port serves GET /metrics only" });
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = metricsApp.listen(access.port, config.HOST, () => resolve(s));
    s.once("error", reject);
  });
  return {
    describe: `/metrics on port ${access.port}${access.token ? " (token)" : ""}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
