/**
 * Bulk writes of `rossman_sales` shared by the history loader and the stream consumer: one
 * statement per batch over unnest'ed arrays (measured fastest on Postgres and PGlite, ahead of
 * multi-row VALUES). Arrays travel as text literals built here, cheaper than letting the drivers
 * serialise JS arrays; dates travel as day numbers (days since 1970-01-01).
 */

const VALUES = "dayofweek, sales, customers, open, promo, stateholiday, schoolholiday";
const stored = (cols: string) =>
  cols
    .split(", ")
    .map((c) => `rossman_sales.${c}`)
    .join(", ");
const incoming = (cols: string) =>
  cols
    .split(", ")
    .map((c) => `EXCLUDED.${c}`)
    .join(", ");
/** A row's version, oldest first; NULL (a history load, or a row from before versions) is the oldest. */
const version = (t: string) =>
  `(coalesce(${t}.source_ts, -1), coalesce(${t}.source_partition, -1), coalesce(${t}.source_offset, -1))`;

/**
 * Parameters, array literals: store, productname, day, dayofweek, sales, customers, open, promo,
 * stateholiday, schoolholiday, then the records' versions: source_ts (ms), source_partition,
 * source_offset (docs/decisions/0016). The history loader passes empty version arrays: unnest pads
 * them with NULL, the oldest version. Returns the rows inserted or changed.
 *
 * A stored row is replaced only by a newer version (the newest record wins, whatever the order of
 * arrival), or by the same version with other values (a corrected history file loaded again). A
 * newer record with the same values moves the version but not `updated_at`, which keeps meaning
 * "the values changed"; a redelivered or older record changes nothing.
 */
export const SALES_UPSERT = `INSERT INTO rossman_sales
    (store, productname, date, ${VALUES}, source_ts, source_partition, source_offset)
  SELECT u.store, u.product, DATE '1970-01-01' + u.day, u.dow, u.sales, u.customers, u.open, u.promo, u.holiday,
         u.school, u.ts, u.part, u.off
    FROM unnest($1::int[], $2::varchar[], $3::int[], $4::smallint[], $5::int[], $6::int[], $7::smallint[],
                $8::smallint[], $9::varchar[], $10::smallint[], $11::bigint[], $12::int[], $13::bigint[])
      AS u(store, product, day, dow, sales, customers, open, promo, holiday, school, ts, part, off)
  ON CONFLICT (store, productname, date) DO UPDATE SET
    dayofweek = EXCLUDED.dayofweek, sales = EXCLUDED.sales, customers = EXCLUDED.customers,
    open = EXCLUDED.open, promo = EXCLUDED.promo, stateholiday = EXCLUDED.stateholiday,
    schoolholiday = EXCLUDED.schoolholiday,
    updated_at = CASE WHEN (${stored(VALUES)}) IS DISTINCT FROM (${incoming(VALUES)}) THEN now()
                      ELSE rossman_sales.updated_at END,
    source_ts = EXCLUDED.source_ts, source_partition = EXCLUDED.source_partition, source_offset = EXCLUDED.source_offset
  WHERE ${version("EXCLUDED")} > ${version("rossman_sales")}
     OR (${version("EXCLUDED")} = ${version("rossman_sales")}
         AND (${stored(VALUES)}) IS DISTINCT FROM (${incoming(VALUES)}))`;

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
