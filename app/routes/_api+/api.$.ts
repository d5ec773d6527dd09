import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { errorResponse, isSeedPath } from "../../server/api.server.js";

/**
 * Any /api/* path no route claims: a JSON 404 (the HTML one is for pages); under the reference's
 * services' prefixes, FastAPI's `{"detail": "Not Found"}`.
 */
function notFound({ request }: { request: Request }) {
  const path = new URL(request.url).pathname;
  if (isSeedPath(path)) return Response.json({ detail: "Not Found" }, { status: 404 });
  return errorResponse(404, `no API endpoint at ${request.method} ${path}; see /api/openapi.json`, {
    entity: "endpoint",
    path,
  });
}

export const loader = (args: LoaderFunctionArgs) => notFound(args);
export const action = (args: ActionFunctionArgs) => notFound(args);
