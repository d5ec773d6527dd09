import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { createApiToken, creatorOf, listApiTokens } from "../../auth/tokens.server.js";
import { allowMethods, api, readJson } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { accessApi, createTokenBody } from "./access-contract.server.js";

/** GET /api/tokens: every API token, newest first, without secrets (admin). */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    requireRole(context, request, "admin");
    return reply(accessApi.listTokens, 200, { tokens: await listApiTokens(context.db) });
  });
}

/** POST /api/tokens {name, role}: a new token, its secret in this answer only (201, admin). */
export function action({ request, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    const principal = requireRole(context, request, "admin");
    const body = await readJson(request, createTokenBody);
    const { token, info } = await createApiToken(context.db, { ...body, createdBy: creatorOf(principal) });
    await audit(context, "token.create", `token ${info.name}`, { id: info.id, role: info.role, prefix: info.prefix });
    return reply(accessApi.createToken, 201, { ...info, token }, { headers: { "Cache-Control": "no-store" } });
  });
}
