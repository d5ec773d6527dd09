/**
 * The model pages' addresses, shared by the model page, a version's page and the compare view:
 * which series and version a path names (a 404 page otherwise) and the compare view's `a` and `b`
 * (a message naming the field otherwise).
 */
import { parsePositiveInt, parseProduct, parseStore } from "../../server/api.server.js";
import { notFoundPage } from "./store-page.server.js";

/** The path's store and product, or a 404 page: /models/abc/x names no model. */
export function seriesOf(params: Record<string, string | undefined>): { store: number; productname: string } {
  try {
    return { store: parseStore(params.store), productname: parseProduct(params.product) };
  } catch (err) {
    throw notFoundPage(`There is no model at this address: ${(err as Error).message}`);
  }
}

/** The path's version number, or a 404 page (/versions/latest names no version). */
export function versionParam(value: string | undefined): number {
  try {
    return parsePositiveInt(value, "version");
  } catch (err) {
    throw notFoundPage(`There is no model version at this address: ${(err as Error).message}`);
  }
}

export type CompareField = "a" | "b";

export type CompareQuery =
  | { ok: true; a: number; b: number }
  | { ok: false; field: CompareField; message: string; a: number | null; b: number | null };

function versionField(search: URLSearchParams, field: CompareField): { n: number } | { message: string } {
  const text = search.get(field);
  if (text === null || text === "") return { message: `${field}: choose a version to compare` };
  try {
    return { n: parsePositiveInt(text, field) };
  } catch {
    return { message: `${field}: a version number is a positive integer, got "${text.slice(0, 20)}"` };
  }
}

/** `?a=3&b=5`: both positive version numbers, or the first field that is missing or malformed. */
export function compareQuery(search: URLSearchParams): CompareQuery {
  const a = versionField(search, "a");
  const b = versionField(search, "b");
  const an = "n" in a ? a.n : null;
  const bn = "n" in b ? b.n : null;
  if ("message" in a) return { ok: false, field: "a", message: a.message, a: an, b: bn };
  if ("message" in b) return { ok: false, field: "b", message: b.message, a: an, b: bn };
  return { ok: true, a: a.n, b: b.n };
}
