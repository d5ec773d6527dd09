import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, parseQuery } from "../../server/api.server.js";
import { storesQuery } from "./contract.server.js";

/** The sales rows of the stores the filter matches: $1 a store-number prefix, $2 a store type (each null for any). */
const MATCHING_SALES = `FROM rossman_sales r LEFT JOIN stores st ON st.store = r.store
        WHERE ($1::text IS NULL OR r.store::text LIKE $1::text || '%')
          AND ($2::text IS NULL OR st.store_type = $2::text)`;

/** GET /api/stores?q=&type=&limit=&offset=: stores with sales, their products and history span, paged. */
export function loader({ request, context }: LoaderFunctionArgs) {
  return api(async () => {
    const query = parseQuery(request, storesQuery);
    const filter = [query.q ?? null, query.type?.toLowerCase() ?? null];
    const rows = await context.db.sql.query<{
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
      const [row] = await context.db.sql.query<{ total: number }>(
        `SELECT count(DISTINCT r.store)::int AS total ${MATCHING_SALES}`,
        filter,
      );
      total = row?.total ?? 0;
    }
    return Response.json({
      total,
      limit: query.limit,
      offset: query.offset,
      stores: rows.map((r) => ({
        store: r.store,
        storeType: r.store_type,
        assortment: r.assortment,
        products: r.products,
        rows: r.rows,
        firstDate: r.first_date,
        lastDate: r.last_date,
      })),
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
