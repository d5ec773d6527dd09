import type { Database } from "./db.server.js";

export interface StoreSummary {
  store: number;
  storeType: string | null;
  rows: number;
  products: number;
  firstDate: string;
  lastDate: string;
  avgOpenSales: number | null;
}

export interface HistoryTotals {
  stores: number;
  rows: number;
  firstDate: string | null;
  lastDate: string | null;
}

interface SummaryRow {
  store: number;
  store_type: string | null;
  rows: number;
  products: number;
  first_date: string;
  last_date: string;
  avg_open_sales: number | null;
}

/** Every store with sales, with its history size and newest day, in store order. */
export async function listStoreSummaries(db: Database, opts: { storeFilter?: number } = {}): Promise<StoreSummary[]> {
  const rows = await db.sql.query<SummaryRow>(
    `SELECT r.store, st.store_type, count(*)::int AS rows, count(DISTINCT r.productname)::int AS products,
            min(r.date)::text AS first_date, max(r.date)::text AS last_date,
            round(avg(r.sales) FILTER (WHERE r.open = 1))::int AS avg_open_sales
       FROM rossman_sales r LEFT JOIN stores st ON st.store = r.store
      WHERE ($1::int IS NULL OR r.store::text LIKE $1::text || '%')
      GROUP BY r.store, st.store_type
      ORDER BY r.store`,
    [opts.storeFilter ?? null],
  );
  return rows.map((r) => ({
    store: r.store,
    storeType: r.store_type,
    rows: r.rows,
    products: r.products,
    firstDate: r.first_date,
    lastDate: r.last_date,
    avgOpenSales: r.avg_open_sales,
  }));
}

export async function historyTotals(db: Database): Promise<HistoryTotals> {
  const [row] = await db.sql.query<{
    stores: number;
    rows: number;
    first_date: string | null;
    last_date: string | null;
  }>(
    `SELECT count(DISTINCT store)::int AS stores, count(*)::int AS rows,
            min(date)::text AS first_date, max(date)::text AS last_date
       FROM rossman_sales`,
  );
  return {
    stores: row?.stores ?? 0,
    rows: row?.rows ?? 0,
    firstDate: row?.first_date ?? null,
    lastDate: row?.last_date ?? null,
  };
}

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
