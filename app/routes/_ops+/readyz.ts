import type { LoaderFunctionArgs } from "@remix-run/node";
import { checkReadiness } from "../../server/readiness.server.js";

/**
 * Readiness: the database answers with every migration applied; Redis and Kafka answer when
 * configured; no background service failed to start (one still starting is named in `services`);
 * the process is not shutting down. 200 "ready" or 503 "not ready", each check named.
 */
export async function loader({ context }: LoaderFunctionArgs) {
  const { ready, checks } = await checkReadiness({
    db: context.db,
    jobs: context.jobs,
    stream: context.stream,
    groupId: context.config.KAFKA_GROUP_ID,
    shuttingDown: context.shuttingDown,
    services: context.services,
  });
  return Response.json(
    { status: ready ? "ready" : "not ready", checks },
    { status: ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
