/**
 * Who a request's model-thread work is counted for, and what it may spend (docs/decisions/0021):
 * the client key the fair share is kept under, the request's signal (the client left), and the
 * configured forecast window and batch size.
 */
import type { Request as ExpressRequest, Response as ExpressResponse } from "express";
import { clientKey } from "../auth/principal.js";
import type { ForecastBudget } from "../forecasting/budget.server.js";
import type { StorecastContext } from "./load-context.js";

/**
 * The key an express request is counted under: the one the auth middleware set
 * (`res.locals.clientKey`), else the peer's address (no header: a client cannot pick its own).
 */
export function requestClientKey(req: ExpressRequest, res: ExpressResponse): string {
  const set: unknown = res.locals.clientKey;
  if (typeof set === "string" && set !== "") return set;
  return clientKey(null, req.ip ?? req.socket.remoteAddress ?? "unknown");
}

/** A loader's or action's budget: its client key and signal, the configured limits. */
export function requestBudget(
  context: Partial<Pick<StorecastContext, "config" | "clientKey">>,
  request: Request,
): ForecastBudget & { maxPoints?: number } {
  return {
    client: context.clientKey ?? "anonymous",
    signal: request.signal,
    horizonDays: context.config?.FORECAST_HORIZON_DAYS,
    maxPoints: context.config?.FORECAST_MAX_BATCH_POINTS,
  };
}
