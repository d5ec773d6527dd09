import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { listVersions } from "../../registry/versions.server.js";
import { api, assertSeries, methodNotAllowed, notFound, seriesParams } from "../../server/api.server.js";
import { reply } from "../../server/api-contract.server.js";
import { nativeApi } from "./contract.server.js";

/** GET /api/models/:store/:product/versions: every version of the series' model, newest first. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const key = seriesParams(params);
    const versions = await listVersions(context.db, key.store, key.productname);
    if (versions.length === 0) {
      await assertSeries(context.db, key.store, key.productname);
      throw notFound("model", `no registered model for store ${key.store} ${key.productname} yet`, {
        store: key.store,
        product: key.productname,
      });
    }
    const production = versions.find((v) => v.stage === "production") ?? null;
    return reply(nativeApi.versions, 200, {
      store: key.store,
      product: key.productname,
      model: versions[0]!.name,
      productionVersion: production?.version ?? null,
      versions,
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
