import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { listStores } from "../../stores/list.server.js";
import { nativeApi, storesQuery } from "./contract.server.js";

/** GET /api/stores?q=&type=&limit=&offset=: stores with sales, their products and history span, paged. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const query = parseQuery(request, storesQuery);
    const { total, stores } = await listStores(context.db, query);
    return reply(nativeApi.listStores, 200, {
      total,
      limit: query.limit,
      offset: query.offset,
      stores,
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
