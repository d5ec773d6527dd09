/**
 * Who a request's model-thread work is counted for, and what it may spend (docs/decisions/0025):
 * the client key the fair share is kept under, the request's signal (the client left), and the
 * configured forecast window and batch size.
 */
import type { Request as ExpressRequest, Response as ExpressResponse } from "express";
import { clientKey } from "../auth/principal.js";
import type { ForecastBudget } from "../forecasting/budget.server.js";
import type { StorecastContext } from "./load-context.js";

/**
 * The key an express request is counted under: the one the auth gate set (its identity's
 * `clientKey`: the user or token), else the peer's address (no header: a client cannot pick its own).
 */
export function requestClientKey(req: ExpressRequest, res: ExpressResponse): string {
  const set: unknown = (res.locals.identity as { clientKey?: unknown } | undefined)?.clientKey;
  if (typeof set === "string" && set !== "") return set;
  return clientKey(null, req.ip ?? req.socket.remoteAddress ?? "unknown");
}

/**
 * A signal aborted when the client closes the connection before its answer is complete. The load
 * context carries it (`clientGone`) because Remix's `request.signal` cannot be relied on for this:
 * undici's Request follows the adapter's signal through a weakly held controller, which a garbage
 * collection can take, and then the abort never arrives (seen under large batches).
 */
export function clientGoneSignal(res: ExpressResponse): AbortSignal {
  const gone = new AbortController();
  res.on("close", () => {
    if (!res.writableFinished) gone.abort(new DOMException("the client closed the connection", "AbortError"));
  });
  return gone.signal;
}

/** A loader's or action's budget: its client key and signal, the configured limits. */
export function requestBudget(
  context: Partial<Pick<StorecastContext, "config" | "clientKey" | "clientGone">>,
  request: Request,
): ForecastBudget & { maxPoints?: number } {
  return {
    client: context.clientKey ?? "anonymous",
    signal: context.clientGone ?? request.signal,
    horizonDays: context.config?.FORECAST_HORIZON_DAYS,
    maxPoints: context.config?.FORECAST_MAX_BATCH_POINTS,
  };
}
