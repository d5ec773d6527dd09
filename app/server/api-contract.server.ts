/**
 * How an API route declares its HTTP contract: method, path, parameters, request body and every
 * answer by status, as zod schemas in its group's contract module (app/routes/_api+/contract.server.ts,
 * app/routes/_seed+/contract.server.ts). Routes answer through `reply` or `respond`, whose body is
 * typed by the declared schema, so an answer that drifts from its declaration does not compile; the
 * OpenAPI document (app/routes/_api+/openapi.server.ts) and the live contract test read the same declarations.
 */
import { type ZodObject, type ZodType, z } from "zod";
import { errorBody, MAX_BODY_BYTES } from "./api.server.js";
import { jsonArrayStream } from "./json-stream.server.js";

/** One answer: a JSON `body`, or server-sent events whose `data:` lines are `events`. */
export interface Reply {
  description: string;
  body?: ZodType;
  events?: ZodType;
  /** Response headers it sets: name, and what the value is. */
  headers?: Readonly<Record<string, string>>;
}

/** One route and method. */
export interface Endpoint {
  method: "get" | "post" | "delete";
  /** OpenAPI style: `/api/forecasts/{store}/{product}`. */
  path: string;
  summary: string;
  description?: string;
  tags: readonly string[];
  /** Path parameters, one per `{name}` of the path, in order. */
  params?: ZodObject;
  query?: ZodObject;
  /** The JSON request body. */
  body?: ZodType;
  responses: Readonly<Record<number, Reply>>;
}

/** A declaration, its literal types (statuses, schemas) kept for `reply`. */
export const endpoint = <const E extends Endpoint>(e: E): E => e;

export const json = <S extends ZodType>(body: S, description = "OK") => ({ description, body });

/** An error answer: `{"error", "details"}`. */
export const failure = (description: string) => ({ description, body: errorBody });

export const ERRORS = {
  400: failure("invalid input: `details.field` names the parameter or body field at fault"),
  404: failure("not found: `details.entity` says what (store, product, model, version, forecast, job, pipeline-run)"),
  413: failure(`request body larger than ${MAX_BODY_BYTES} bytes`),
  415: failure("a body that is not application/json"),
  429: {
    ...failure(
      "asked again too soon: `details.limit` names the limit (RETRAIN_COOLDOWN_S, RATE_LIMIT_MUTATIONS), " +
        "`details.retryAfterSeconds` when the request may be made again",
    ),
    headers: { "Retry-After": "seconds until the request may be made again" },
  },
  503: failure("the job queue is not available"),
};

type BodyOf<R> = R extends { body: infer S extends ZodType } ? z.input<S> : never;

/** Answers `body` as JSON, typed by `schema` (not parsed at run time). */
export function respond<S extends ZodType>(_schema: S, body: z.input<S>, init?: ResponseInit): Response {
  return Response.json(body, init);
}

/** Answers one of the endpoint's declared statuses with a body of that status's schema. */
export function reply<E extends Endpoint, S extends keyof E["responses"] & number>(
  _endpoint: E,
  status: S,
  body: BodyOf<E["responses"][S]>,
  init: Omit<ResponseInit, "status"> = {},
): Response {
  return Response.json(body, { ...init, status });
}

type ItemOf<B> = B extends readonly (infer I)[] ? I : never;

/**
 * Answers a declared status whose body is a JSON array, streamed (json-stream.server.ts): `count`
 * items made by `item(i)`, typed by the declared item schema. For answers too large to build as
 * one string (the reference batch forecast).
 */
export function replyArray<E extends Endpoint, S extends keyof E["responses"] & number>(
  _endpoint: E,
  status: S,
  count: number,
  item: (index: number) => ItemOf<BodyOf<E["responses"][S]>>,
  signal?: AbortSignal,
): Response {
  return new Response(jsonArrayStream(count, item, signal), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** A point in time: a Date in the program, ISO 8601 in UTC on the wire (what Response.json writes). */
export const timestamp = z.preprocess(
  (value: Date | string) => (value instanceof Date ? value.toISOString() : value),
  z.iso.datetime(),
);

/** An OpenAPI document's top (`/api/openapi.json` and each service's document). */
export const openapiBody = z.looseObject({
  openapi: z.literal("3.1.0"),
  info: z.looseObject({ title: z.string(), version: z.string() }),
  paths: z.record(z.string(), z.record(z.string(), z.unknown())),
});

/** A day, YYYY-MM-DD. */
export const day = z.iso.date();
