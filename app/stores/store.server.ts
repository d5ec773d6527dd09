/** One store: its attributes and products, and a series' recent sales (the store page's chart). */
import type { Database } from "../platform/db.server.js";
import type { SeriesKey } from "../series.js";

/** The store page's chart shows this many days of actual sales. */
export const ACTUAL_DAYS = 56;

export interface StoreInfo {
  store: number;
  storeType: string | null;
  assortment: string | null;
  products: string[];
}

/** The store's attributes and products (null when it has no sales). */
export async function storeInfo(db: Database, store: number): Promise<StoreInfo | null> {
  const [row] = await db.sql.query<{ store_type: string | null; assortment: string | null; products: string[] | null }>(
    `SELECT st.store_type, st.assortment,
            (SELECT array_agg(DISTINCT productname ORDER BY productname) FROM rossman_sales WHERE store = $1) AS products
       FROM (SELECT 1) one LEFT JOIN stores st ON st.store = $1`,
    [store],
  );
  if (!row?.products || row.products.length === 0) return null;
  return { store, storeType: row.store_type, assortment: row.assortment, products: row.products };
}

export interface ActualSale {
  date: string;
  sales: number;
  open: boolean;
}

/** The series' newest `days` days of sales (up to its newest day), in date order. */
export async function recentSales(db: Database, key: SeriesKey, days = ACTUAL_DAYS): Promise<ActualSale[]> {
  const rows = await db.sql.query<{ date: string; sales: number; open: number }>(
    `SELECT date::text AS date, sales, open FROM rossman_sales
      WHERE store = $1 AND productname = $2
        AND date > (SELECT max(date) FROM rossman_sales WHERE store = $1 AND productname = $2) - $3::int
      ORDER BY date`,
    [key.store, key.productname, days],
  );
  return rows.map((r) => ({ date: r.date, sales: r.sales, open: r.open === 1 }));
}

/** A store for the API: its attributes, history summary, and each product's history and production model; null when it has no sales. */
export async function storeDetail(db: Database, store: number) {
  const products = await db.sql.query<{
    productname: string;
    rows: number;
    open_days: number;
    first_date: string;
    last_date: string;
    avg_open_sales: number | null;
    total_sales: string;
    model_name: string | null;
    model_version: number | null;
  }>(
    `SELECT r.productname, count(*)::int AS rows, count(*) FILTER (WHERE r.open = 1)::int AS open_days,
              min(r.date)::text AS first_date, max(r.date)::text AS last_date,
              round(avg(r.sales) FILTER (WHERE r.open = 1))::int AS avg_open_sales,
              sum(r.sales)::text AS total_sales,
              (SELECT m.name FROM registered_models m WHERE m.store = r.store AND m.productname = r.productname) AS model_name,
              (SELECT v.version FROM model_versions v JOIN registered_models m ON m.id = v.model_id
                WHERE m.store = r.store AND m.productname = r.productname AND v.stage = 'production') AS model_version
         FROM rossman_sales r
        WHERE r.store = $1
        GROUP BY r.store, r.productname
        ORDER BY r.productname`,
    [store],
  );
  if (products.length === 0) return null;
  const [info] = await db.sql.query<{ store_type: string | null; assortment: string | null }>(
    "SELECT store_type, assortment FROM stores WHERE store = $1",
    [store],
  );
  return {
    store,
    storeType: info?.store_type ?? null,
    assortment: info?.assortment ?? null,
    // products is not empty (checked above), so both days exist.
    history: {
      rows: products.reduce((n, p) => n + p.rows, 0),
      firstDate: products.map((p) => p.first_date).sort()[0]!,
      lastDate: products
        .map((p) => p.last_date)
        .sort()
        .at(-1)!,
    },
    products: products.map((p) => ({
      product: p.productname,
      rows: p.rows,
      openDays: p.open_days,
      firstDate: p.first_date,
      lastDate: p.last_date,
      avgOpenSales: p.avg_open_sales,
      totalSales: Number(p.total_sales),
      model: p.model_name === null ? null : { name: p.model_name, productionVersion: p.model_version ?? null },
    })),
  };
}
