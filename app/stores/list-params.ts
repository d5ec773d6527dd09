/**
 * The stores list's address (`/stores?q=&type=&sort=&dir=&page=`): parsed on the server, built by
 * the page's links. Shared by the loader and the component, so it holds no server code.
 */

export const STORE_TYPES = ["a", "b", "c", "d"] as const;
export type StoreType = (typeof STORE_TYPES)[number];
export const STORE_SORTS = ["id", "sales", "error"] as const;
export type StoreSort = (typeof STORE_SORTS)[number];
export type SortDir = "asc" | "desc";

/**
 * The stores list's "sales" is the average daily sales (all products) over this many days up to
 * the newest complete day: a whole week, so every weekday counts once.
 */
export const RECENT_SALES_DAYS = 7;

/** A sort's first click: worst error and best sales first, stores in number order. */
export const DEFAULT_DIR: Record<StoreSort, SortDir> = { id: "asc", sales: "desc", error: "desc" };

export interface StoreListParams {
  /** The search text as typed (trimmed). */
  q: string;
  /** Store numbers starting with these digits, when `q` is digits. */
  storePrefix?: string;
  /** From `type`, or from `q` when it names a type ("b", "type b"). */
  type?: StoreType;
  /** Why `q` was not understood (the list is then not filtered by it). */
  qError: string | null;
  sort: StoreSort;
  dir: SortDir;
  page: number;
}

/** `?page=`: a positive integer, anything else is page 1 (a hand-edited URL should not break a list). */
export function parsePage(value: string | null): number {
  return Math.max(1, /^\d{1,6}$/.test(value ?? "") ? Number(value) : 1);
}

/** The list's state from its query string; anything unknown falls back to a default, never an error page. */
export function parseStoreListParams(search: URLSearchParams): StoreListParams {
  const q = (search.get("q") ?? "").trim().slice(0, 40);
  const typeParam = (search.get("type") ?? "").toLowerCase();
  let type = (STORE_TYPES as readonly string[]).includes(typeParam) ? (typeParam as StoreType) : undefined;
  let storePrefix: string | undefined;
  let qError: string | null = null;
  const typeInQ = /^(?:type\s*)?([a-d])$/i.exec(q);
  if (/^\d{1,10}$/.test(q)) storePrefix = q;
  else if (typeInQ) type ??= typeInQ[1]!.toLowerCase() as StoreType;
  else if (q !== "") qError = "Search by store number (digits, e.g. 262) or store type (a, b, c or d).";
  const sortParam = search.get("sort") ?? "";
  const sort = (STORE_SORTS as readonly string[]).includes(sortParam) ? (sortParam as StoreSort) : "id";
  const dirParam = search.get("dir");
  const dir: SortDir = dirParam === "asc" || dirParam === "desc" ? dirParam : DEFAULT_DIR[sort];
  const page = parsePage(search.get("page"));
  return { q, storePrefix, type, qError, sort, dir, page };
}

/** The address of a list state, leaving defaults out. */
export function storeListHref(state: {
  q: string;
  type: string | null;
  sort: StoreSort;
  dir: SortDir;
  page: number;
}): string {
  const params = new URLSearchParams();
  if (state.q) params.set("q", state.q);
  if (state.type) params.set("type", state.type);
  if (state.sort !== "id") params.set("sort", state.sort);
  if (state.dir !== DEFAULT_DIR[state.sort]) params.set("dir", state.dir);
  if (state.page > 1) params.set("page", String(state.page));
  const text = params.toString();
  return text ? `/stores?${text}` : "/stores";
}
