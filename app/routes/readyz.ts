import type { LoaderFunctionArgs } from "@remix-run/node";

/** Readiness: the database answers and every migration on disk is applied. */
export async function loader({ context }: LoaderFunctionArgs) {
  const { db } = context;
  const checks: Record<string, { ok: boolean; detail?: string }> = {};
  try {
    await db.sql.query("SELECT 1");
    const pending = await db.pendingMigrations();
    checks.database = { ok: true, detail: `${db.kind} ${db.location}` };
    checks.migrations = pending.length === 0 ? { ok: true } : { ok: false, detail: `pending: ${pending.join(", ")}` };
  } catch (err) {
    checks.database = { ok: false, detail: (err as Error).message };
  }
  const ready = Object.values(checks).every((c) => c.ok) && checks.migrations !== undefined;
  return Response.json({ status: ready ? "ready" : "not ready", checks }, { status: ready ? 200 : 503 });
}
