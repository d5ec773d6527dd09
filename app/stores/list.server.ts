/**
 * The stores as lists: the stores page (filtered, sorted by recent sales or model error, paged, all
 * in one SQL statement served by indexes, no per-store loops) and the API's store listing.
 */
import { formatDay, todayDay } from "../days.js";
import { ValidationError } from "../errors.js";
import type { Database } from "../platform/db.server.js";
import { RECENT_SALES_DAYS, type SortDir, type StoreSort, type StoreType } from "./list-params.js";

export interface StoreListQuery {
  /** Store numbers starting with these digits. */
  storePrefix?: string;
  type?: StoreType;
  sort: StoreSort;
  dir: SortDir;
  /** 1-based; past the last page gives the last page. */
  page: number;
  pageSize: number;
}

export interface StoreListRow {
  store: number;
  storeType: string | null;
  assortment: string | null;
  products: string[];
  /** Average daily sales over the RECENT_SALES_DAYS complete days up to yesterday (or the newest day), all products. */
  salesPerDay: number | null;
  /** Mean CV RMSPE of the store's production models. */
  cvRmspe: number | null;
  models: number;
}

export interface StoreListPage {
  total: number;
  page: number;
  pages: number;
  rows: StoreListRow[];
}

/** Whitelisted ORDER BY clauses (never user text in SQL); ties and missing values fall back to store order. */
const ORDER_BY: Record<StoreSort, Record<SortDir, string>> = {
  id: { asc: "store ASC", desc: "store DESC" },
  sales: { asc: "sales_per_day ASC NULLS LAST, store", desc: "sales_per_day DESC NULLS LAST, store" },
  error: { asc: "cv_rmspe ASC NULLS LAST, store", desc: "cv_rmspe DESC NULLS LAST, store" },
};

/** One page of stores with their recent sales and model error: filtering, sorting and paging in SQL. */
export async function listStoresPage(
  db: Database,
  q: StoreListQuery,
  today = formatDay(todayDay()),
): Promise<StoreListPage> {
  if (q.storePrefix !== undefined && !/^\d{1,10}$/.test(q.storePrefix)) {
    throw new ValidationError("q", "a store number is digits only");
  }
  if (!Number.isSafeInteger(q.page) || q.page < 1) throw new ValidationError("page", "page must be 1 or more");
  if (!Number.isSafeInteger(q.pageSize) || q.pageSize < 1 || q.pageSize > 500) {
    throw new ValidationError("pageSize", "pageSize must be 1 to 500");
  }
  const order = ORDER_BY[q.sort]?.[q.dir];
  if (!order) throw new ValidationError("sort", `unknown sort ${String(q.sort)} ${String(q.dir)}`);
  const rows = await db.sql.query<{
    total: number;
    page_offset: number;
    store: number | null;
    store_type: string | null;
    assortment: string | null;
    products: string[] | null;
    sales_per_day: number | null;
    cv_rmspe: number | null;
    models: number | null;
  }>(
    `WITH newest AS (
       -- The newest complete day: today's rows are the live stream's, still arriving.
       SELECT coalesce((SELECT max(date) FROM rossman_sales WHERE date < $6::date),
                       (SELECT max(date) FROM rossman_sales)) AS day),
     -- Days in the window: fewer when the history is shorter. Per-store sums need no DISTINCT then.
     span AS (SELECT least($5::int, newest.day - (SELECT min(date) FROM rossman_sales) + 1) AS days FROM newest),
     recent AS (
       SELECT r.store, sum(r.sales)::float8 / (SELECT days FROM span) AS sales_per_day
         FROM rossman_sales r, newest
        WHERE r.date > newest.day - $5::int AND r.date <= newest.day
        GROUP BY r.store),
     errors AS (
       SELECT m.store, avg(v.cv_rmspe)::float8 AS cv_rmspe, count(*)::int AS models
         FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
        GROUP BY m.store),
     -- Every store with sales has a stores row (the loader and the stream consumer add it); a row
     -- from store.csv without sales is left out, one index probe each.
     matched AS (
       SELECT st.store, st.store_type, st.assortment, rc.sales_per_day, e.cv_rmspe, coalesce(e.models, 0) AS models
         FROM stores st
         LEFT JOIN recent rc ON rc.store = st.store
         LEFT JOIN errors e ON e.store = st.store
        WHERE EXISTS (SELECT 1 FROM rossman_sales x WHERE x.store = st.store)
          AND ($1::text IS NULL OR st.store::text LIKE $1::text || '%')
          AND ($2::text IS NULL OR st.store_type = $2::text)),
     total AS (SELECT count(*)::int AS total FROM matched),
     page AS (SELECT least($4::int, greatest(total - 1, 0) / $3::int * $3::int) AS page_offset FROM total)
     SELECT t.total, p.page_offset, m.*,
            -- Products of the page's stores only.
            ARRAY(SELECT DISTINCT x.productname FROM rossman_sales x WHERE x.store = m.store ORDER BY 1) AS products
       FROM total t CROSS JOIN page p
       LEFT JOIN LATERAL (SELECT * FROM matched ORDER BY ${order} LIMIT $3::int OFFSET p.page_offset) m ON true
      -- Again outside: only the outermost ORDER BY fixes the order of the result.
      ORDER BY ${order}`,
    [q.storePrefix ?? null, q.type ?? null, q.pageSize, (q.page - 1) * q.pageSize, RECENT_SALES_DAYS, today],
  );
  const total = rows[0]?.total ?? 0;
  const offset = rows[0]?.page_offset ?? 0;
  return {
    total,
    page: Math.floor(offset / q.pageSize) + 1,
    pages: Math.max(1, Math.ceil(total / q.pageSize)),
    rows: rows
      .filter((r) => r.store !== null)
      .map((r) => ({
        store: r.store!,
        storeType: r.store_type,
        assortment: r.assortment,
        products: r.products ?? [],
        salesPerDay: r.sales_per_day,
        cvRmspe: r.cv_rmspe,
        models: r.models ?? 0,
      })),
  };
}

export interface StoreSummary {
  store: number;
  storeType: string | null;
  assortment: string | null;
  products: string[];
  rows: number;
  firstDate: string;
  lastDate: string;
}

/** The sales rows of the stores the filter matches: $1 a store-number prefix, $2 a store type (each null for any). */
const MATCHING_SALES = `FROM rossman_sales r LEFT JOIN stores st ON st.store = r.store
        WHERE ($1::text IS NULL OR r.store::text LIKE $1::text || '%')
          AND ($2::text IS NULL OR st.store_type = $2::text)`;

/** Stores with sales (filtered by number prefix and type), their products and history span, paged. */
export async function listStores(
  db: Database,
  query: { q?: string; type?: string; limit: number; offset: number },
): Promise<{ total: number; stores: StoreSummary[] }> {
  const filter = [query.q ?? null, query.type?.toLowerCase() ?? null];
  const rows = await db.sql.query<{
    store: number;
    store_type: string | null;
    assortment: string | null;
    products: string[];
    rows: number;
    first_date: string;
    last_date: string;
    total: number;
  }>(
    `SELECT r.store, st.store_type, st.assortment,
              array_agg(DISTINCT r.productname ORDER BY r.productname) AS products,
              count(*)::int AS rows, min(r.date)::text AS first_date, max(r.date)::text AS last_date,
              (count(*) OVER ())::int AS total
       ${MATCHING_SALES}
        GROUP BY r.store, st.store_type, st.assortment
        ORDER BY r.store
        LIMIT $3 OFFSET $4`,
    [...filter, query.limit, query.offset],
  );
  let total = rows[0]?.total;
  if (total === undefined) {
    // Past the last page (or nothing matches): count separately so the client still learns the size.
    const [row] = await db.sql.query<{ total: number }>(
      `SELECT count(DISTINCT r.store)::int AS total ${MATCHING_SALES}`,
      filter,
    );
    total = row?.total ?? 0;
  }
  return {
    total,
    stores: rows.map((r) => ({
      store: r.store,
      storeType: r.store_type,
      assortment: r.assortment,
      products: r.products,
      rows: r.rows,
      firstDate: r.first_date,
      lastDate: r.last_date,
    })),
  };
}
