/**
 * The last express error handler. What reaches it failed outside Remix: a path express cannot
 * decode (`/%FF`: its router's decodeURIComponent throws), or an error of a middleware. Express's
 * own handler answers those with the stack and this machine's paths whenever NODE_ENV is not
 * "production"; this one never does: JSON in the API's formats under /api, a short plain page
 * elsewhere. A 5xx is logged with its stack, for operators only.
 */
import { STATUS_CODES } from "node:http";
import type { ErrorRequestHandler, Request, Response } from "express";
import type { Logger } from "pino";
import { apiErrorJson } from "./api.server.js";

/** The error's own 4xx (express and its middlewares set `status`), or 500. */
function statusOf(err: unknown): number {
  const e = err as { status?: unknown; statusCode?: unknown } | null;
  const status = e?.status ?? e?.statusCode;
  return typeof status === "number" && Number.isInteger(status) && status >= 400 && status <= 599 ? status : 500;
}

/** What the client is told: a fixed sentence by kind, never the error's message (it may quote internals). */
function publicError(err: unknown, status: number): { error: string; details: Record<string, unknown> } {
  if (err instanceof URIError) {
    return {
      error: "malformed address: a percent-escape in the path does not decode to UTF-8 text",
      details: { field: "path" },
    };
  }
  if (status >= 500) return { error: "internal error: the request could not be completed", details: {} };
  return { error: `${STATUS_CODES[status] ?? "request refused"}`.toLowerCase(), details: { field: "request" } };
}

/** The raw path (not decoded: decoding is what may have failed). */
export const rawPathOf = (req: Request): string => (req.originalUrl || req.url).split("?")[0] ?? "/";

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

/** Answers `status` with `error`: JSON in the path's API format under /api, a plain page elsewhere. */
export function sendRefusal(
  req: Request,
  res: Response,
  status: number,
  error: string,
  details: Record<string, unknown> = {},
): void {
  const pathname = rawPathOf(req);
  if (/^\/api(\/|$)/i.test(pathname)) {
    res.status(status).json(apiErrorJson(pathname, error, details));
    return;
  }
  const title = `${status} ${STATUS_CODES[status] ?? "Error"}`;
  res
    .status(status)
    .type("html")
    .send(
      `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>storecast: ${title}</title></head>` +
        `<body><h1>${title}</h1><p>${escapeHtml(error)}</p><p><a href="/">Back to the overview</a></p></body></html>`,
    );
}

export function finalErrorHandler(log: Pick<Logger, "error" | "debug">): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const status = statusOf(err);
    const where = { method: req.method, path: rawPathOf(req).slice(0, 200) };
    if (status >= 500) log.error({ err, ...where }, "http: unexpected error outside the routes");
    else log.debug({ err: String(err), ...where }, "http: request refused");
    if (res.headersSent) {
      // Part of an answer is out: the client can only learn of the failure by the connection closing.
      req.socket.destroy();
      return;
    }
    req.resume(); // an unread body is dropped, so the client reads the answer
    const { error, details } = publicError(err, status);
    sendRefusal(req, res, status, error, details);
  };
}
