import { type ActionFunctionArgs, type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { failureCode } from "../../auth/oidc.server.js";
import { methodNotAllowed } from "../../server/api.server.js";
import { safeNext } from "../../server/session-cookie.server.js";
import { requestFlowCookie, ssoRefusal } from "./single-sign-on.server.js";

/**
 * GET /auth/oidc?next=/path: off to the identity provider (authorization code with PKCE); the
 * verifier, state and nonce wait in a signed cookie for /auth/oidc/callback.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const next = safeNext(new URL(request.url).searchParams.get("next"));
  // Nothing to sign in to with auth off.
  if (context.authMode !== "on") return redirect(next);
  const oidc = context.oidc;
  if (!oidc) return ssoRefusal(context, request, "not-configured", next);
  try {
    const { url, flow } = await oidc.begin(oidc.redirectUri(request.url), next);
    return redirect(url.href, {
      headers: { "Set-Cookie": await requestFlowCookie(context, request).serialize(flow), "Cache-Control": "no-store" },
    });
  } catch (err) {
    return ssoRefusal(context, request, failureCode(err), next, err);
  }
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
