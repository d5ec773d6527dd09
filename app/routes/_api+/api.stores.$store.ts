import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, notFound, parseStore } from "../../server/api.server.js";
import { storeDetail } from "../../stores/store.server.js";

/** GET /api/stores/:store: the store, each product's history summary and production model. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const store = parseStore(params.store);
    const detail = await storeDetail(context.db, store);
    if (!detail) throw notFound("store", `unknown store ${store}`, { store });
    return Response.json(detail);
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
