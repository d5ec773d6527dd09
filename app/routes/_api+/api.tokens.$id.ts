import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { findApiToken, revokeApiToken } from "../../auth/tokens.server.js";
import { ApiError } from "../../errors.js";
import { allowMethods, api, methodNotAllowed, notFound, parsePositiveInt } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { accessApi } from "./access-contract.server.js";

/** DELETE /api/tokens/:id: revokes the token (admin); 404 unknown, 409 revoked already. */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["DELETE"]);
    requireRole(context, request, "admin");
    const id = parsePositiveInt(params.id, "id");
    const revoked = await revokeApiToken(context.db, id);
    if (!revoked) {
      const token = await findApiToken(context.db, id);
      if (!token) throw notFound("token", `no API token ${id}`, { id });
      throw new ApiError(409, `API token ${id} (${token.name}) is revoked already`, { id, revokedAt: token.revokedAt });
    }
    await audit(context, "token.revoke", `token ${revoked.name}`, { id, role: revoked.role, prefix: revoked.prefix });
    return reply(accessApi.revokeToken, 200, revoked);
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["DELETE"]);
