/** Setting and clearing the session cookie on an answer (the sign-in and sign-out pages, single sign-on). */
import { sessionCookie } from "../auth/sessions.server.js";
import type { StorecastContext } from "./load-context.js";

/** `next=` of a sign-in: a path of this site only (never `//host` or a scheme). */
export function safeNext(value: unknown): string {
  const text = typeof value === "string" ? value : "";
  return text.startsWith("/") && !text.startsWith("//") && !text.startsWith("/\\") && text.length < 2000 ? text : "/";
}

const secure = (request: Request) => new URL(request.url).protocol === "https:";

export function setSessionHeader(
  context: Pick<StorecastContext, "signingKey" | "config">,
  request: Request,
  token: string,
): Promise<string> {
  const maxAgeS = context.config.SESSION_TTL_HOURS * 3600;
  return sessionCookie(context.signingKey ?? "", { secure: secure(request), maxAgeS }).serialize(token);
}

export function clearSessionHeader(context: Pick<StorecastContext, "signingKey">, request: Request): Promise<string> {
  return sessionCookie(context.signingKey ?? "", { secure: secure(request) }).serialize("", { maxAge: 0 });
}
