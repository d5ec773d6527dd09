/** Rejected stream records kept for a while, then deleted by the retention job (app/retention). */
import type { Database } from "../platform/db.server.js";

/** Deletes at most `limit` rejects received more than `days` days ago; returns how many. */
export async function deleteRejectsOlderThan(db: Pick<Database, "sql">, days: number, limit: number): Promise<number> {
  const rows = await db.sql.query<{ id: number }>(
    `DELETE FROM stream_rejects WHERE id IN (
       SELECT id FROM stream_rejects WHERE received_at < now() - $1::int * interval '1 day' ORDER BY id LIMIT $2)
     RETURNING id`,
    [days, limit],
  );
  return rows.length;
}
