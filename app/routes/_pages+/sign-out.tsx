import { type ActionFunctionArgs, redirect } from "@remix-run/node";
import { revokeSession } from "../../auth/sessions.server.js";
import { audit } from "../../server/authorize.server.js";
import { clearSessionHeader } from "../../server/session-cookie.server.js";
import { readForm } from "./forms.server.js";

/** POST /sign-out: the session is revoked in the database (every replica) and its cookie cleared. */
export async function action({ request, context }: ActionFunctionArgs) {
  await readForm(request, context);
  if (context.sessionId) {
    await revokeSession(context.db, context.sessionId);
    await audit(context, "session.sign-out", `user ${context.principal?.name ?? "?"}`);
  }
  return redirect("/sign-in", { status: 303, headers: { "Set-Cookie": await clearSessionHeader(context, request) } });
}

/** A GET (a link, a prefetch) signs nobody out: only the form's POST does. */
export const loader = () => redirect("/");
