import { hostname } from "node:os";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { NotFoundError } from "../../errors.js";
import { modelDocumentFileName } from "../../registry/model-document.js";
import { exportVersion } from "../../registry/model-export.server.js";
import { api, methodNotAllowed, notFound, parsePositiveInt, seriesParams } from "../../server/api.server.js";

/**
 * GET /models/:store/:product/versions/:version/export: the version as a `storecast-model/1` JSON
 * document (docs/model-export-format.md), downloaded as storecast-model-<store>-<product>-v<v>.json,
 * for `npm run model:import` on another instance. An unknown series or version answers 404 JSON.
 */
export function loader({ request, params, context }: LoaderFunctionArgs) {
  return api(context, async () => {
    const key = { ...seriesParams(params), version: parsePositiveInt(params.version, "version") };
    let doc: Awaited<ReturnType<typeof exportVersion>>;
    try {
      doc = await exportVersion(context.db, key, { instance: hostname(), url: new URL(request.url).origin });
    } catch (err) {
      if (err instanceof NotFoundError) {
        throw notFound(err.entity, err.message, { store: key.store, product: key.productname, version: key.version });
      }
      throw err;
    }
    const name = modelDocumentFileName(key.store, key.productname, key.version);
    return new Response(`${JSON.stringify(doc, null, 2)}\n`, {
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Content-Disposition": `attachment; filename="${name}"`,
        "Cache-Control": "no-store",
      },
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
