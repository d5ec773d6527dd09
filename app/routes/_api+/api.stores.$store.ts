import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { api, methodNotAllowed, notFound, parseStore } from "../../server/api.server.js";

/** GET /api/stores/:store: the store, each product's history summary and production model. */
export function loader({ params, context }: LoaderFunctionArgs) {
  return api(async () => {
    const store = parseStore(params.store);
    const products = await context.db.sql.query<{
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
    if (products.length === 0) throw notFound("store", `unknown store ${store}`, { store });
    const [info] = await context.db.sql.query<{ store_type: string | null; assortment: string | null }>(
      "SELECT store_type, assortment FROM stores WHERE store = $1",
      [store],
    );
    return Response.json({
      store,
      storeType: info?.store_type ?? null,
      assortment: info?.assortment ?? null,
      history: {
        rows: products.reduce((n, p) => n + p.rows, 0),
        firstDate: products.map((p) => p.first_date).sort()[0],
        lastDate: products
          .map((p) => p.last_date)
          .sort()
          .at(-1),
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
    });
  });
}

export const action = (_: ActionFunctionArgs) => methodNotAllowed(["GET"]);
