/**
 * The OpenAPI 3.1 documents of the HTTP API: every route at GET /api/openapi.json, and each
 * reference-compatible service's own (GET /api/forecasters/openapi.json, /api/trainers/openapi.json,
 * as FastAPI served one per service). Every part of them (paths, parameters, request bodies and
 * responses) is generated with zod's JSON Schema conversion from the contracts the routes declare and
 * answer by (app/routes/_api+/contract.server.ts, app/routes/_seed+/contract.server.ts and
 * app/routes/_seed+/docs-contract.server.ts), so no document can drift from the routes.
 */
import { type ZodType, z } from "zod";
import type { Endpoint, Reply } from "../../server/api-contract.server.js";
import { seedApi } from "../_seed+/contract.server.js";
import { seedDocsApi } from "../_seed+/docs-contract.server.js";
import { nativeApi } from "./contract.server.js";

type Json = Record<string, unknown>;

/** Every declared endpoint: the native API, then the reference-compatible one and its services' documents. */
export const API_ENDPOINTS: readonly Endpoint[] = [
  ...Object.values(nativeApi),
  ...Object.values(seedApi),
  ...Object.values(seedDocsApi),
];

/** Drops what only restates the type: the safe-integer bounds of z.int(), the regex of an ISO date format. */
function tidy({ jsonSchema: s }: { jsonSchema: Json }): void {
  if (s.minimum === Number.MIN_SAFE_INTEGER) delete s.minimum;
  if (s.maximum === Number.MAX_SAFE_INTEGER) delete s.maximum;
  if (s.format === "date" || s.format === "date-time") delete s.pattern;
}

/**
 * Converts schemas to JSON Schema: answers as they are sent (`output`), requests as they are
 * accepted (`input`). A schema with a `meta` id (`Job`, `Error`, ...) is written once, in
 * `components`, and referred to.
 */
function converter() {
  const components: Record<string, Json> = {};
  const convert = (schema: ZodType, io: "input" | "output"): Json => {
    const out = z.toJSONSchema(schema, { io, override: tidy as never });
    const {
      $schema: _,
      $defs,
      ...rest
    } = JSON.parse(JSON.stringify(out).replaceAll('"#/$defs/', '"#/components/schemas/')) as Json & {
      $defs?: Record<string, Json>;
    };
    Object.assign(components, $defs);
    return rest;
  };
  return { convert, components };
}

type Convert = ReturnType<typeof converter>["convert"];

/** Path and query parameters, from the endpoint's `params` and `query` objects. */
function parameters(e: Endpoint, convert: Convert): Json[] {
  const inPath = [...e.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const declared = Object.keys(e.params?.shape ?? {});
  if (inPath.join() !== declared.join()) {
    throw new Error(`${e.method} ${e.path}: path parameters declared as [${declared}], the path has [${inPath}]`);
  }
  const out: Json[] = [];
  for (const [where, schema] of [
    ["path", e.params],
    ["query", e.query],
  ] as const) {
    if (!schema) continue;
    const object = convert(schema, "input") as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, { description, ...property }] of Object.entries(object.properties ?? {})) {
      out.push({
        name,
        in: where,
        required: where === "path" || (object.required ?? []).includes(name),
        ...(description === undefined ? {} : { description }),
        schema: property,
      });
    }
  }
  return out;
}

function response(r: Reply, convert: Convert): Json {
  const headers = Object.entries(r.headers ?? {}).map(([name, description]) => [
    name,
    { description, schema: { type: "string" } },
  ]);
  const content = r.body
    ? { "application/json": { schema: convert(r.body, "output") } }
    : r.events
      ? {
          "text/event-stream": {
            schema: { type: "string", description: "each event's `data:` line is JSON, as `x-event-data` says" },
            "x-event-data": convert(r.events, "output"),
          },
        }
      : undefined;
  return {
    description: r.description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    ...(content ? { content } : {}),
  };
}

function operation(e: Endpoint, convert: Convert): Json {
  const params = parameters(e, convert);
  return {
    ...(e.tags.length > 0 ? { tags: [...e.tags] } : {}),
    summary: e.summary,
    ...(e.description ? { description: e.description } : {}),
    ...(params.length > 0 ? { parameters: params } : {}),
    ...(e.body
      ? { requestBody: { required: true, content: { "application/json": { schema: convert(e.body, "input") } } } }
      : {}),
    responses: Object.fromEntries(Object.entries(e.responses).map(([status, r]) => [status, response(r, convert)])),
  };
}

export type OpenApiDocument = {
  openapi: "3.1.0";
  info: { title: string; version: string; description: string };
  servers: { url: string }[];
  tags: { name: string; description?: string }[];
  paths: Record<string, Record<string, Json>>;
  components: { schemas: Record<string, Json> };
};

/** Tags in the order Swagger UI shows them; a document lists those its endpoints use. */
const TAGS: readonly { name: string; description?: string }[] = [
  { name: "stores" },
  { name: "forecasts" },
  { name: "models" },
  { name: "jobs" },
  { name: "pipeline-runs" },
  { name: "schedules", description: "the schedules (pause, resume, run now) and on-demand pipeline jobs" },
  {
    name: "monitoring",
    description:
      "realized accuracy (forecasts scored against actuals as they arrive) and anomalous stores (the daily scan)",
  },
  { name: "access", description: "API tokens (admin) and the audit log (operator)" },
  {
    name: "monitoring",
    description: "forecasts scored against actuals, drift, automatic retraining, anomalous stores",
  },
  { name: "reference-compatible", description: "the reference (seed) system's API, unchanged" },
  { name: "docs", description: "OpenAPI documents; Swagger UI beside each: /api/docs, /api/{service}/docs" },
];

/** A document of `endpoints`, under `title` and `description`. */
export function buildOpenapiDocument(
  title: string,
  description: string,
  endpoints: readonly Endpoint[],
): OpenApiDocument {
  const { convert, components } = converter();
  const paths: Record<string, Record<string, Json>> = {};
  for (const e of endpoints) {
    const path = paths[e.path] ?? {};
    if (path[e.method]) throw new Error(`${e.method} ${e.path} is declared twice`);
    path[e.method] = operation(e, convert);
    paths[e.path] = path;
  }
  const used = new Set(endpoints.flatMap((e) => e.tags));
  for (const tag of used) if (!TAGS.some((t) => t.name === tag)) throw new Error(`tag ${tag} is not in TAGS`);
  return {
    openapi: "3.1.0",
    info: { title, version: "1.0.0", description },
    servers: [{ url: "/" }],
    tags: TAGS.filter((t) => used.has(t.name)),
    paths,
    components: { schemas: components },
  };
}

let document: OpenApiDocument | undefined;

/** The document of every route (built once: the declarations do not change while the process runs). */
export function openapiDocument(): OpenApiDocument {
  document ??= buildOpenapiDocument(
    "storecast HTTP API",
    "Sales forecasts, model registry, training jobs and pipeline runs. Every error is " +
      '`{"error": "...", "details": {...}}`. Request bodies are JSON, at most 1 MB. ' +
      "The /api/trainers and /api/forecasters paths keep the reference system's contract.",
    API_ENDPOINTS,
  );
  return document;
}

/** The reference system's services, each with its own document and docs page, as FastAPI had them. */
export const SEED_SERVICES = {
  forecasters: {
    title: "storecast forecasters API (reference-compatible)",
    description: "The reference system's forecasting service: ad-hoc forecasts for a list of series, and health.",
  },
  trainers: {
    title: "storecast trainers API (reference-compatible)",
    description: "The reference system's training service: retrain every series or one, and a job's status.",
  },
} as const;

export type SeedService = keyof typeof SEED_SERVICES;

const serviceDocuments = new Map<SeedService, OpenApiDocument>();

/** One service's document: the reference-compatible endpoints under `/api/{service}/`. */
export function seedServiceDocument(service: SeedService): OpenApiDocument {
  let doc = serviceDocuments.get(service);
  if (!doc) {
    const { title, description } = SEED_SERVICES[service];
    const endpoints = Object.values(seedApi).filter((e: Endpoint) => e.path.startsWith(`/api/${service}/`));
    doc = buildOpenapiDocument(
      title,
      `${description} Part of the storecast HTTP API, whose document is /api/openapi.json.`,
      endpoints,
    );
    serviceDocuments.set(service, doc);
  }
  return doc;
}
