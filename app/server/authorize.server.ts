/**
 * The routes' side of auth: requireRole() refuses a principal below the role a route needs (401
 * when nobody signed in, 403 otherwise), and audit() appends what a principal did to the audit log.
 */
import { data } from "@remix-run/node";
import { recordAudit } from "../audit/log.server.js";
import { type Principal, type Role, roleAllows } from "../auth/principal.js";
import { errorResponse, isSeedPath } from "./api.server.js";
import type { StorecastContext } from "./load-context.js";

type AuthContext = Pick<StorecastContext, "principal">;

function refusal(request: Request, status: 401 | 403, error: string, role: Role): Response {
  const path = new URL(request.url).pathname;
  if (isSeedPath(path)) return Response.json({ detail: error }, { status });
  if (path.startsWith("/api/")) return errorResponse(status, error, { field: "role", required: role });
  // A page: the root error boundary shows the text.
  throw data(error, { status });
}

/** The request's principal when its role allows `role`; else throws the 401/403 answer. */
export function requireRole(context: AuthContext, request: Request, role: Role): Principal {
  const principal = context.principal ?? null;
  if (principal === null) throw refusal(request, 401, "sign in or send an API token first", role);
  if (!roleAllows(principal.role, role)) {
    throw refusal(request, 403, `this needs the ${role} role; ${principal.name} is a ${principal.role}`, role);
  }
  return principal;
}

/** Whether the request's principal has `role` (for showing or hiding a control). */
export function hasRole(context: AuthContext, role: Role): boolean {
  return context.principal != null && roleAllows(context.principal.role, role);
}

/** Appends to the audit log; a failure to write is logged, never the request's failure. */
export async function audit(
  context: Pick<StorecastContext, "principal" | "clientIp" | "db" | "log">,
  action: string,
  target?: string,
  detail?: Record<string, unknown>,
): Promise<void> {
  const actor = context.principal;
  if (!actor) return;
  try {
    await recordAudit(context.db, { actor, action, target, detail, ip: context.clientIp });
  } catch (err) {
    context.log.error({ err, action, target }, "audit: could not record");
  }
}

/** audit() for a job submission's answer (202 with the job's id, or the job it joined). */
export async function auditJob(
  context: Parameters<typeof audit>[0],
  action: string,
  target: string,
  answer: Response,
): Promise<Response> {
  if (answer.status < 300) {
    const body = (await answer
      .clone()
      .json()
      .catch(() => ({}))) as { job_id?: unknown; train_job_id?: unknown; deduplicated?: unknown };
    const job = body.job_id ?? body.train_job_id ?? null;
    await audit(context, action, target, { job, deduplicated: body.deduplicated === true });
  }
  return answer;
}
