import { describe, expect, it } from "vitest";
import { parseStoreListParams, storeListHref } from "../../../app/stores/list-params.js";

const parse = (query: string) => parseStoreListParams(new URLSearchParams(query));

describe("stores list address", () => {
  it("defaults to every store by number, first page", () => {
    expect(parse("")).toEqual({ q: "", type: undefined, qError: null, sort: "id", dir: "asc", page: 1 });
  });

  it("reads digits as a store-number prefix and a letter (or 'type b') as a store type", () => {
    expect(parse("q=26").storePrefix).toBe("26");
    expect(parse("q=%20b%20")).toMatchObject({ q: "b", type: "b", storePrefix: undefined, qError: null });
    expect(parse("q=Type%20C").type).toBe("c");
    // An explicit type filter wins over a type typed in the search box.
    expect(parse("q=b&type=a").type).toBe("a");
  });

  it("explains a search it cannot use instead of failing", () => {
    const p = parse("q=drop%20table");
    expect(p.storePrefix).toBeUndefined();
    expect(p.qError).toMatch(/store number/);
  });

  it("sorts by sales and error worst/best first unless told, and ignores unknown values", () => {
    expect(parse("sort=sales")).toMatchObject({ sort: "sales", dir: "desc" });
    expect(parse("sort=error&dir=asc")).toMatchObject({ sort: "error", dir: "asc" });
    expect(parse("sort=price&dir=sideways&type=z")).toMatchObject({ sort: "id", dir: "asc", type: undefined });
  });

  it("takes a positive page number and falls back to 1 for anything else", () => {
    expect(parse("page=3").page).toBe(3);
    for (const bad of ["0", "-1", "2.5", "x", "99999999"]) expect(parse(`page=${bad}`).page).toBe(1);
  });

  it("caps the search text", () => {
    expect(parse(`q=${"9".repeat(500)}`).q).toHaveLength(40);
  });

  it("writes addresses without default values, which parse back to the same state", () => {
    expect(storeListHref({ q: "", type: null, sort: "id", dir: "asc", page: 1 })).toBe("/stores");
    const href = storeListHref({ q: "1", type: "a", sort: "sales", dir: "asc", page: 2 });
    expect(href).toBe("/stores?q=1&type=a&sort=sales&dir=asc&page=2");
    expect(parse(href.split("?")[1]!)).toMatchObject({ q: "1", type: "a", sort: "sales", dir: "asc", page: 2 });
  });
});
