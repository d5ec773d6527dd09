import type { Database } from "../platform/db.server.js";

export interface StreamActivity {
  /** Rows for today: the history ends yesterday, so these came from the live stream. */
  todayRows: number;
  lastMinute: number;
  lastRecordAt: Date | null;
  rejects: number;
}

/** What the live stream has written, read from the database so every replica agrees. */
export async function streamActivity(db: Database, today: string): Promise<StreamActivity> {
  const [row] = await db.sql.query<{ today_rows: number; last_minute: number; last_at: Date | null; rejects: number }>(
    `SELECT count(*)::int AS today_rows,
            count(*) FILTER (WHERE updated_at > now() - interval '1 minute')::int AS last_minute,
            max(updated_at) AS last_at,
            (SELECT count(*)::int FROM stream_rejects) AS rejects
       FROM rossman_sales WHERE date = $1::date`,
    [today],
  );
  return {
    todayRows: row?.today_rows ?? 0,
    lastMinute: row?.last_minute ?? 0,
    lastRecordAt: row?.last_at ? new Date(row.last_at) : null,
    rejects: row?.rejects ?? 0,
  };
}
