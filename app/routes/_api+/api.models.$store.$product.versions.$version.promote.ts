import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { NotFoundError } from "../../errors.js";
import { promoteVersion } from "../../registry/register.server.js";
import {
  allowMethods,
  api,
  assertSeries,
  methodNotAllowed,
  notFound,
  parsePositiveInt,
  seriesParams,
} from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { nativeApi } from "./contract.server.js";

/**
 * POST /api/models/:store/:product/versions/:version/promote: puts that version in production
 * (a rollback when older) and archives the current one. Promoting the production version is a no-op.
 */
export function action({ request, params, context }: ActionFunctionArgs) {
  return api(context, async () => {
    allowMethods(request, ["POST"]);
    requireRole(context, request, "operator");
    const key = seriesParams(params);
    const version = parsePositiveInt(params.version, "version");
    await assertSeries(context.db, key.store, key.productname);
    try {
      const promoted = await promoteVersion(context.db, key.store, key.productname, version);
      await audit(context, "model.promote", `store ${key.store} product ${key.productname} version ${version}`);
      return reply(nativeApi.promote, 200, { store: key.store, product: key.productname, promoted });
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw notFound(err.entity, err.message, { store: key.store, product: key.productname, version });
      }
      throw err;
    }
  });
}

export const loader = (_: LoaderFunctionArgs) => methodNotAllowed(["POST"]);
