/**
 * CORS for the JSON API (/api/*, mounted by server.ts), from CORS_ORIGINS: the reference system's
 * FastAPI CORSMiddleware, any method and any request header, for the configured origins only.
 * Unset, there are no CORS headers at all. An origin not listed gets none either (its preflight is the
 * plain 204 server.ts gives any OPTIONS), so the browser refuses the call.
 */
import cors from "cors";
import type { RequestHandler } from "express";
import type { Config } from "../platform/config.server.js";
import { ACCEPTED_HEADERS } from "./api-jobs.server.js";

/** Starlette's ALL_METHODS, what its allow_methods=["*"] answers. */
const METHODS = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];
/** How long a browser may reuse a preflight's answer (Starlette's default). */
const MAX_AGE_SECONDS = 600;

/** The middleware for CORS_ORIGINS, or undefined when it is unset. */
export function apiCors(origins: Config["CORS_ORIGINS"]): RequestHandler | undefined {
  if (origins === undefined) return undefined;
  const allowed = new Set(origins === "*" ? [] : origins);
  return cors({
    // A function answering false skips the request entirely (no Vary, no Allow-Methods).
    origin:
      origins === "*"
        ? "*"
        : (origin, done) => done(null, origin !== undefined && allowed.has(origin) ? origin : false),
    methods: METHODS,
    // allowedHeaders left unset: a preflight's Access-Control-Request-Headers is echoed (any header).
    // A 202's Location names the job; a script reads it only when exposed.
    exposedHeaders: Object.keys(ACCEPTED_HEADERS),
    maxAge: MAX_AGE_SECONDS,
  });
}
