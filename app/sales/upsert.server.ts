/**
 * Bulk writes of `rossman_sales` shared by the history loader and the stream consumer: one
 * statement per batch over unnest'ed arrays (measured fastest on Postgres and PGlite, ahead of
 * multi-row VALUES). Arrays travel as text literals built here, cheaper than letting the drivers
 * serialise JS arrays; dates travel as day numbers (days since 1970-01-01).
 */

/** Parameters, all array literals of one length: store, productname, day, dayofweek, sales,
 * customers, open, promo, stateholiday, schoolholiday. Returns the rows inserted or changed. */
export const SALES_UPSERT = `INSERT INTO rossman_sales
    (store, productname, date, dayofweek, sales, customers, open, promo, stateholiday, schoolholiday)
  SELECT u.store, u.product, DATE '1970-01-01' + u.day, u.dow, u.sales, u.customers, u.open, u.promo, u.holiday, u.school
    FROM unnest($1::int[], $2::varchar[], $3::int[], $4::smallint[], $5::int[], $6::int[], $7::smallint[],
                $8::smallint[], $9::varchar[], $10::smallint[])
      AS u(store, product, day, dow, sales, customers, open, promo, holiday, school)
  ON CONFLICT (store, productname, date) DO UPDATE SET
    dayofweek = EXCLUDED.dayofweek, sales = EXCLUDED.sales, customers = EXCLUDED.customers,
    open = EXCLUDED.open, promo = EXCLUDED.promo, stateholiday = EXCLUDED.stateholiday,
    schoolholiday = EXCLUDED.schoolholiday, updated_at = now()
  -- Skipping identical rows keeps updated_at meaningful and makes a replay cheap.
  WHERE (rossman_sales.dayofweek, rossman_sales.sales, rossman_sales.customers, rossman_sales.open,
         rossman_sales.promo, rossman_sales.stateholiday, rossman_sales.schoolholiday)
     IS DISTINCT FROM (EXCLUDED.dayofweek, EXCLUDED.sales, EXCLUDED.customers, EXCLUDED.open,
         EXCLUDED.promo, EXCLUDED.stateholiday, EXCLUDED.schoolholiday)`;

/** Stores with sales but no attributes yet: a row of nulls, never overwriting known ones. $1: int[]. */
export const STORES_ENSURE = "INSERT INTO stores (store) SELECT unnest($1::int[]) ON CONFLICT (store) DO NOTHING";

/** `{1,2,3}` (integers need no quoting). */
export function intArray(values: ArrayLike<number>): string {
  return `{${Array.prototype.join.call(values, ",")}}`;
}

/** `{f(0),f(1),...}` for n integers, without building an intermediate array of numbers. */
export function intArrayOf(n: number, at: (i: number) => number): string {
  const parts = new Array<string>(n);
  for (let i = 0; i < n; i++) parts[i] = String(at(i));
  return `{${parts.join(",")}}`;
}

/** `{"a","b\"c",NULL}`: every element quoted, so commas, braces and the word NULL are safe. */
export function textArray(values: readonly (string | null)[]): string {
  return `{${values.map((v) => (v === null ? "NULL" : `"${v.replace(/["\\]/g, "\\$&")}"`)).join(",")}}`;
}
