import { redirect } from "@remix-run/node";
import { flowCookie } from "../../auth/oidc.server.js";
import type { SsoFailure } from "../../auth/oidc-claims.js";
import type { StorecastContext } from "../../server/load-context.js";

/** The single sign-on routes' shared answers (app/auth/oidc.server.ts does the protocol). */

/** The flow cookie as this request needs it (Secure over TLS). */
export function requestFlowCookie(context: Pick<StorecastContext, "signingKey">, request: Request) {
  return flowCookie(context.signingKey ?? "", new URL(request.url).protocol === "https:");
}

/**
 * A failed single sign-on: logged with its cause, then the sign-in page with the failure's message
 * (a fixed text chosen by code, so nothing from the request is echoed), the flow cookie cleared.
 */
export async function ssoRefusal(
  context: Pick<StorecastContext, "signingKey" | "log" | "clientIp">,
  request: Request,
  code: SsoFailure,
  next: string,
  cause?: unknown,
): Promise<Response> {
  const reason = cause instanceof Error ? cause.message : undefined;
  context.log.warn({ code, reason, cause, ip: context.clientIp }, "auth: single sign-on failed");
  const cleared = await requestFlowCookie(context, request).serialize("", { maxAge: 0 });
  return redirect(`/sign-in?${new URLSearchParams({ sso: code, next })}`, {
    status: 303,
    headers: { "Set-Cookie": cleared, "Cache-Control": "no-store" },
  });
}
