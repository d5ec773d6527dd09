import { type ActionFunctionArgs, type LoaderFunctionArgs, redirect } from "@remix-run/node";
import { singleSignOnAccount } from "../../auth/accounts.server.js";
import { asFlow, failureCode } from "../../auth/oidc.server.js";
import { createSession } from "../../auth/sessions.server.js";
import { methodNotAllowed } from "../../server/api.server.js";
import { audit } from "../../server/authorize.server.js";
import { setSessionHeader } from "../../server/session-cookie.server.js";
import { requestFlowCookie, ssoRefusal } from "./single-sign-on.server.js";

/**
 * GET /auth/oidc/callback?code=&state=&iss=: the identity provider's answer. Checked against the
 * flow cookie (state, nonce, PKCE verifier), the claims map to a role, the account of the subject
 * is created or brought in step, and a session starts. Every failure lands on the sign-in page.
 */
export async function loader({ request, context }: LoaderFunctionArgs) {
  const cookie = requestFlowCookie(context, request);
  const flow = asFlow(await cookie.parse(request.headers.get("Cookie")).catch(() => null));
  const next = flow?.next ?? "/";
  if (context.authMode !== "on" || !context.oidc) return ssoRefusal(context, request, "not-configured", next);
  if (!flow) return ssoRefusal(context, request, "expired", next, new Error("no valid flow cookie"));
  try {
    const identity = await context.oidc.complete(new URL(request.url).search, flow);
    const account = await singleSignOnAccount(context.db, identity);
    if (!account) {
      const cause = new Error(`the account of subject ${identity.subject} is disabled`);
      return ssoRefusal(context, request, "disabled", next, cause);
    }
    const session = await createSession(context.db, {
      userId: account.id,
      ttlHours: context.config.SESSION_TTL_HOURS,
      ip: context.clientIp,
    });
    const principal = { kind: "user", id: String(account.id), name: account.username, role: account.role } as const;
    await audit({ ...context, principal }, "session.sign-in", `user ${account.username}`, {
      method: "oidc",
      subject: identity.subject,
      role: account.role,
    });
    const headers = new Headers({ "Cache-Control": "no-store" });
    headers.append("Set-Cookie", await setSessionHeader(context, request, session.token));
    headers.append("Set-Cookie", await cookie.serialize("", { maxAge: 0 }));
    return redirect(next, { status: 303, headers });
  } catch (err) {
    return ssoRefusal(context, request, failureCode(err), next, err);
  }
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
