import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { pageAudit } from "../../audit/log.server.js";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { requireRole } from "../../server/authorize.server.js";
import { accessApi, auditQuery } from "./access-contract.server.js";

/** GET /api/audit?action=&actor=&before=&limit=: the audit log, newest first, paged by id (operator). */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    requireRole(context, request, "operator");
    const q = parseQuery(request, auditQuery);
    const page = await pageAudit(context.db, { ...q, before: q.before === undefined ? undefined : String(q.before) });
    return reply(accessApi.listAudit, 200, {
      entries: page.entries.map((e) => ({ ...e, id: Number(e.id) })),
      next: page.next === null ? null : Number(page.next),
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
