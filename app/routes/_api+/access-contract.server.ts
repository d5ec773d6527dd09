/**
 * The contract of who may do what over HTTP: API tokens (admins create, list and revoke them) and
 * the audit log (operators read it). Part of the native API's declarations (contract.server.ts
 * spreads these into `nativeApi`, so the OpenAPI document and the contract tests see them).
 */
import { z } from "zod";
import { ROLES } from "../../auth/principal.js";
import { queryInt } from "../../server/api.server.js";
import { ERRORS, endpoint, failure, json, timestamp } from "../../server/api-contract.server.js";

/** No control characters: a NUL byte cannot reach a query (Postgres text refuses it). */
const printable = (s: string) => !/\p{Cc}/u.test(s);

// -------------------------------------------------------------------------------------------------
// Requests

export const createTokenBody = z.object({
  name: z.string().max(1000).describe("what the token is for, e.g. airflow (1 to 100 characters)"),
  role: z.enum(ROLES).describe("what its bearer may do: viewer < planner < operator < admin"),
});

export const tokenPath = z.object({ id: z.int().min(1).describe("the token's id") });

export const auditQuery = z.object({
  action: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,60}$/, "expected an action or its first words, e.g. model or model.promote")
    .optional()
    .describe("this action, or the actions it is the first dot-separated words of (`user` finds `user.role`)"),
  actor: z
    .string()
    .max(100)
    .refine(printable, "expected a user or token name, without control characters")
    .optional()
    .describe("only this user's or token's entries (by name)"),
  before: z.coerce
    .number()
    .int()
    .min(1)
    .max(Number.MAX_SAFE_INTEGER)
    .optional()
    .describe("entries older than this id: the previous page's `next`"),
  limit: queryInt(1, 500, 50).describe("page size"),
});

// -------------------------------------------------------------------------------------------------
// Answers

const apiToken = z
  .strictObject({
    id: z.int(),
    name: z.string(),
    prefix: z.string().describe("the token's first characters, to recognise it"),
    role: z.enum(ROLES),
    createdBy: z.string(),
    createdAt: timestamp,
    lastUsedAt: timestamp.nullable().describe("to the minute"),
    revokedAt: timestamp.nullable(),
  })
  .meta({ id: "ApiToken" });

const createdToken = apiToken
  .extend({ token: z.string().describe("the secret: send it as `Authorization: Bearer <token>`; shown only now") })
  .meta({ id: "CreatedApiToken" });

const auditEntry = z
  .strictObject({
    id: z.int(),
    at: timestamp,
    actor: z.strictObject({
      kind: z
        .enum(["user", "token", "open", "system"])
        .describe("open: anyone, with auth off; system: storecast itself (the automatic retraining policy)"),
      id: z.string(),
      name: z.string(),
    }),
    action: z.string().describe("e.g. model.promote, train-all.start, token.create, user.role"),
    target: z.string().nullable().describe("what it was done to, e.g. store 1 product_A version 3, user bob"),
    detail: z.record(z.string(), z.unknown()).nullable(),
    ip: z.string().nullable().describe("where the request came from"),
  })
  .meta({ id: "AuditEntry" });

const auditPage = z
  .strictObject({
    entries: z.array(auditEntry).describe("newest first"),
    next: z.int().nullable().describe("`before` of the next (older) page; null on the last"),
  })
  .meta({ id: "AuditPage" });

// -------------------------------------------------------------------------------------------------
// Endpoints

const UNAUTHORIZED = failure("nobody signed in, or the bearer token is unknown or revoked");
const forbidden = (role: string) => failure(`this needs the ${role} role (\`details.required\`)`);

export const accessApi = {
  listTokens: endpoint({
    method: "get",
    path: "/api/tokens",
    summary: "API tokens, newest first, revoked ones included (never their secrets)",
    tags: ["access"],
    responses: { 200: json(z.strictObject({ tokens: z.array(apiToken) })), 401: UNAUTHORIZED, 403: forbidden("admin") },
  }),
  createToken: endpoint({
    method: "post",
    path: "/api/tokens",
    summary: "Create an API token with a role: its secret is in this answer and never again",
    tags: ["access"],
    body: createTokenBody,
    responses: {
      201: {
        description: "created",
        body: createdToken,
        headers: { "Cache-Control": "no-store: the secret must not be kept by a cache" },
      },
      400: ERRORS[400],
      401: UNAUTHORIZED,
      403: forbidden("admin"),
      413: ERRORS[413],
      415: ERRORS[415],
    },
  }),
  revokeToken: endpoint({
    method: "delete",
    path: "/api/tokens/{id}",
    summary: "Revoke an API token: its bearer gets 401 from the next request on",
    tags: ["access"],
    params: tokenPath,
    responses: {
      200: json(apiToken, "revoked"),
      400: ERRORS[400],
      401: UNAUTHORIZED,
      403: forbidden("admin"),
      404: failure("no token with this id (`details.entity`: token)"),
      409: failure("the token is revoked already"),
    },
  }),
  listAudit: endpoint({
    method: "get",
    path: "/api/audit",
    summary: "The audit log, newest first: who did what to which series, run, user or token, when, from where",
    description:
      "Paged by id: pass the answer's `next` as `before` for the next page. The log is append-only: " +
      "nothing changes or removes an entry.",
    tags: ["access"],
    query: auditQuery,
    responses: { 200: json(auditPage), 400: ERRORS[400], 401: UNAUTHORIZED, 403: forbidden("operator") },
  }),
};
