/**
 * No API route outside the contract: every route file of app/routes/_api+ and app/routes/_seed+ is
 * declared (app/routes/<group>/contract.server.ts; the services' documents in
 * _seed+/docs-contract.server.ts), every declaration has its route file, and a route answers 405 to
 * any method its declaration does not list. The route paths come from remix-flat-routes itself, as
 * the build sees them.
 */
import { fileURLToPath } from "node:url";
import { UNSAFE_defineRoutes } from "@remix-run/dev";
import { flatRoutes } from "remix-flat-routes";
import { describe, expect, it } from "vitest";
import {
  API_ENDPOINTS,
  openapiDocument,
  SEED_SERVICES,
  type SeedService,
  seedServiceDocument,
} from "../../../app/routes/_api+/openapi.server.js";
import { seedApi } from "../../../app/routes/_seed+/contract.server.js";
import { isSeedPath } from "../../../app/server/api.server.js";

const GROUPS = ["routes/_api+/", "routes/_seed+/"];
/**
 * The /api/* splat is no endpoint: it answers the JSON 404 for every path no route claims (and the
 * live contract test could not give it a success to check).
 */
const NOT_ENDPOINTS = new Set(["routes/_api+/api.$"]);
/**
 * Swagger UI pages beside each OpenAPI document: HTML for people, not endpoints (FastAPI leaves its
 * /docs out of the schema too). They answer GET only, like an endpoint.
 */
const DOCS_PAGES = new Set([
  "routes/_api+/api.docs",
  "routes/_seed+/api.forecasters.docs",
  "routes/_seed+/api.trainers.docs",
]);
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];

interface RouteFile {
  id: string;
  file: string;
  /** `/api/jobs/{}`: the parameters' names left out (the seed routes document the reference system's names). */
  shape: string;
}

/** The API route files, as remix-flat-routes maps them (the options of vite.config.ts); `pages` the docs pages. */
function apiRouteFiles(pages = false): RouteFile[] {
  const manifest = flatRoutes("routes", UNSAFE_defineRoutes as never, {
    appDir: "app",
    ignoredRouteFiles: ["**/.*", "**/*.test.*", "**/*.server.*", "**/*.md", "**/*.css"],
  });
  const pathOf = (id: string): string => {
    const route = manifest[id]!;
    const parent = route.parentId && route.parentId !== "root" ? pathOf(route.parentId) : "";
    return [parent, route.path ?? ""].filter((p) => p !== "").join("/");
  };
  return Object.values(manifest)
    .filter(
      (r) => GROUPS.some((g) => r.file.startsWith(g)) && !NOT_ENDPOINTS.has(r.id) && DOCS_PAGES.has(r.id) === pages,
    )
    .map((r) => ({ id: r.id, file: r.file, shape: shapeOf(`/${pathOf(r.id)}`) }));
}

const shapeOf = (path: string) => path.replace(/\{\w+\}|:\w+/g, "{}");

describe("the API contract", () => {
  const routes = apiRouteFiles();
  const docsPages = apiRouteFiles(true);

  it("declares every API route file, and has a route file for every declaration", () => {
    expect(routes.length).toBeGreaterThan(15);
    const declared = [...new Set(API_ENDPOINTS.map((e) => shapeOf(e.path)))].sort();
    expect(routes.map((r) => r.shape).sort()).toEqual(declared);
  });

  it("lets a route answer only the methods it declares (405 for the others)", async () => {
    expect(docsPages.map((r) => r.shape).sort()).toEqual(["/api/docs", "/api/forecasters/docs", "/api/trainers/docs"]);
    for (const route of [...routes, ...docsPages]) {
      const file = fileURLToPath(new URL(`../../../app/${route.file}`, import.meta.url));
      const module = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
      const declared = docsPages.includes(route)
        ? ["GET"]
        : API_ENDPOINTS.filter((e) => shapeOf(e.path) === route.shape).map((e) => e.method.toUpperCase());
      for (const method of METHODS) {
        const handler = module[method === "GET" ? "loader" : "action"];
        expect(typeof handler, `${route.file} handles ${method}`).toBe("function");
        if (declared.includes(method)) continue;
        const request = new Request(`http://localhost${route.shape}`, { method });
        const res = await (handler as (args: unknown) => Promise<Response> | Response)({
          request,
          params: {},
          context: {},
        });
        expect(res.status, `${method} ${route.file}`).toBe(405);
        // In the format of the route's group: FastAPI's under the reference prefixes, ours elsewhere.
        const body = (await res.json()) as Record<string, unknown>;
        const format = isSeedPath(route.shape) ? ["detail"] : ["details", "error"];
        expect(Object.keys(body).sort(), `${method} ${route.file}`).toEqual(format);
      }
    }
  });

  it("declares a body (or an event stream) for every success, so the live contract test can check it", () => {
    for (const e of API_ENDPOINTS) {
      const successes = Object.entries(e.responses).filter(([status]) => status.startsWith("2"));
      expect(successes.length, `${e.method} ${e.path}`).toBeGreaterThan(0);
      for (const [status, reply] of successes) {
        expect(Boolean(reply.body) !== Boolean(reply.events), `${e.method} ${e.path} ${status}`).toBe(true);
      }
    }
  });

  it("documents exactly the declared endpoints", () => {
    const doc = openapiDocument();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(documented.sort()).toEqual(API_ENDPOINTS.map((e) => `${e.method} ${e.path}`).sort());
  });

  it("documents each reference-compatible service apart: exactly its endpoints, with every schema they refer to", () => {
    for (const service of Object.keys(SEED_SERVICES) as SeedService[]) {
      const doc = seedServiceDocument(service);
      expect(doc).toMatchObject({ openapi: "3.1.0", info: { title: SEED_SERVICES[service].title } });
      const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m} ${path}`),
      );
      const declared = Object.values(seedApi)
        .filter((e) => e.path.startsWith(`/api/${service}/`))
        .map((e) => `${e.method} ${e.path}`);
      expect(declared.length, service).toBeGreaterThan(0);
      expect(documented.sort(), service).toEqual(declared.sort());
      const refs = JSON.stringify(doc).match(/#\/components\/schemas\/[\w.-]+/g) ?? [];
      for (const ref of refs)
        expect(doc.components.schemas, `${service}: ${ref}`).toHaveProperty([ref.split("/").pop()!]);
    }
  });
});
