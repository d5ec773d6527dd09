import type { LoaderFunctionArgs } from "@remix-run/node";

/** Liveness: the process answers. Nothing else is checked, so a slow database never restarts it. */
export function loader({ context }: LoaderFunctionArgs) {
  return Response.json({
    status: "ok",
    uptimeSeconds: Math.round((Date.now() - context.startedAt.getTime()) / 1000),
  });
}
