import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, notFound, parseStore } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { storeDetail } from "../../stores/store.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/stores/:store: the store, each product's history summary and production model. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const store = parseStore(params.store);
    const detail = await storeDetail(context.db, store);
    if (!detail) throw notFound("store", `unknown store ${store}`, { store });
    return reply(nativeApi.getStore, 200, detail);
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
