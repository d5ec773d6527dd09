/**
 * HTTP metrics for the Express server (server.ts): every request is timed into
 * storecast_http_request_duration_seconds by route pattern, method and status, and GET /metrics
 * serves the registry.
 *
 * The route label is the Remix route's path pattern (`/api/forecasts/:store/:product`), matched
 * with react-router's matchRoutes on the build's route manifest, as Remix itself matches, so a
 * store number or a job id never becomes a label value. Unknown paths fall to the splat route
 * (`/*`); static files are `static`.
 */
import type { ServerBuild } from "@remix-run/node";
import { matchRoutes } from "@remix-run/react";
import type { RequestHandler, Response } from "express";
import { httpMetrics, registry } from "../platform/metrics.server.js";

type Manifest = ServerBuild["routes"];

interface RouteNode {
  id: string;
  path?: string;
  index?: boolean;
  caseSensitive?: boolean;
  children: RouteNode[];
}

/** The label of files served by express.static. */
export const STATIC_ROUTE = "static";
/** The label of a path no route matches (there is a splat route, so only outside Remix). */
export const UNMATCHED_ROUTE = "unmatched";
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/** The manifest as a route tree, the way Remix builds it (server-runtime's createRoutes). */
function routeTree(manifest: Manifest): RouteNode[] {
  const byParent = new Map<string, Manifest[string][]>();
  for (const route of Object.values(manifest)) {
    const parent = route.parentId ?? "";
    byParent.set(parent, [...(byParent.get(parent) ?? []), route]);
  }
  const build = (parentId: string): RouteNode[] =>
    (byParent.get(parentId) ?? []).map((r) => ({
      id: r.id,
      path: r.path,
      index: r.index,
      caseSensitive: r.caseSensitive,
      children: build(r.id),
    }));
  return build("");
}

/**
 * A function from a request path to its route pattern: `/api/jobs/4f0c.../events` ->
 * `/api/jobs/:id/events`, `/` -> `/`, `/no/such/page` -> `/*`. Single-fetch data requests
 * (`/models/1/product_A.data`, `/_root.data`) count as their page's route.
 */
export function routePatterns(manifest: Manifest): (pathname: string) => string {
  const tree = routeTree(manifest);
  return (pathname) => {
    if (pathname === "/__manifest") return pathname; // Remix's lazy route discovery
    let path = pathname;
    if (path === "/_root.data") path = "/";
    else if (path.endsWith(".data")) path = path.slice(0, -".data".length);
    // The manifest's routes are what Remix hands matchRoutes too (an index route has no children).
    const matches = matchRoutes(tree as Parameters<typeof matchRoutes>[0], path);
    if (!matches || matches.length === 0) return UNMATCHED_ROUTE;
    const parts = matches.map((m) => (m.route as RouteNode).path).filter((p): p is string => !!p);
    return `/${parts.join("/")}`.replace(/\/{2,}/g, "/");
  };
}

/** The method label: one of the standard methods, anything else `other`. */
export function methodLabel(method: string): string {
  const m = method.toUpperCase();
  return METHODS.has(m) ? m : "other";
}

const ROUTE_LABEL = "storecastRoute";

/** Sets a response's route label (a handler outside Remix: /metrics, static files). */
export function labelRoute(res: Response, route: string): void {
  res.locals[ROUTE_LABEL] = route;
}

/**
 * Times every request until its response is closed. `patternOf` maps the path to its route
 * pattern (it may change, e.g. once the build is loaded). A request whose client went away
 * before any answer is counted with status 499, as nginx does.
 */
export function httpMetricsMiddleware(patternOf: () => ((pathname: string) => string) | undefined): RequestHandler {
  return (req, res, next) => {
    const end = httpMetrics.requestSeconds.startTimer();
    // Mounted middleware rewrites req.url while it runs: the path is taken now.
    const pathname = req.path;
    res.once("close", () => {
      const route = (res.locals[ROUTE_LABEL] as string | undefined) ?? patternOf()?.(pathname) ?? UNMATCHED_ROUTE;
      const status = res.headersSent ? String(res.statusCode) : "499";
      end({ route, method: methodLabel(req.method), status });
    });
    next();
  };
}

/** GET /metrics: the registry in Prometheus' text format. */
export const metricsEndpoint: RequestHandler = async (_req, res) => {
  labelRoute(res, "/metrics");
  try {
    const body = await registry.metrics();
    res.setHeader("Content-Type", registry.contentType);
    res.setHeader("Cache-Control", "no-store");
    res.end(body);
  } catch (err) {
    res
      .status(500)
      .type("text/plain")
      .end(`metrics unavailable: ${(err as Error).message}\n`);
  }
};
