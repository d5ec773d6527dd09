/**
 * Refuses, in the API's own error formats, the /api requests the Remix router would answer in
 * another: a method it does not route (PROPFIND, PURGE: a 405 `{"message": "Unexpected Server
 * Error"}`), `?_data=` (the web pages' data protocol, meaningless on the API: a 403 in that format, or
 * the wrong route's data), and a path with an encoded line break (its splat pattern `(.*)` stops at
 * one, so an unknown such path reached the pages' HTML 404).
 */
import type { RequestHandler } from "express";
import { sendRefusal } from "./error-handler.server.js";

/** The methods the Remix router routes; each API route narrows them with its own 405. */
export const ROUTED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const ROUTED = new Set<string>(ROUTED_METHODS);
/** LF, CR, U+2028 and U+2029 percent-encoded (a raw one cannot be in a request line). */
const LINE_BREAK = /%0A|%0D|%E2%80%A[89]/i;

export function apiRequestGuard(): RequestHandler {
  return (req, res, next) => {
    if (!ROUTED.has(req.method)) {
      req.resume();
      res.setHeader("Allow", ROUTED_METHODS.join(", "));
      sendRefusal(req, res, 405, `method not allowed: ${req.method.slice(0, 20)} is not an API method`, {
        field: "method",
        allowed: ROUTED_METHODS,
      });
      return;
    }
    const at = req.originalUrl.indexOf("?");
    const pathname = at >= 0 ? req.originalUrl.slice(0, at) : req.originalUrl;
    if (LINE_BREAK.test(pathname)) {
      req.resume();
      sendRefusal(req, res, 400, "path: an API path holds no line break", { field: "path" });
      return;
    }
    if (at >= 0 && new URLSearchParams(req.originalUrl.slice(at + 1)).has("_data")) {
      req.resume();
      sendRefusal(req, res, 400, "_data: not an API parameter (it belongs to the web pages)", { field: "_data" });
      return;
    }
    next();
  };
}
