import { describe, expect, it } from "vitest";
import { compareQuery, seriesOf, versionParam } from "../../../app/routes/_pages+/model-address.server.js";

const q = (s: string) => compareQuery(new URLSearchParams(s));

async function statusOf(fn: () => unknown): Promise<{ status: number; text: string }> {
  try {
    fn();
  } catch (thrown) {
    const res = thrown as Response;
    return { status: res.status, text: await res.text() };
  }
  throw new Error("expected a thrown response");
}

describe("the model pages' addresses", () => {
  it("reads a series and a version from the path", () => {
    expect(seriesOf({ store: "3", product: "product_A" })).toEqual({ store: 3, productname: "product_A" });
    expect(versionParam("12")).toBe(12);
  });

  it("answers 404 for a path that names no model or version", async () => {
    expect(await statusOf(() => seriesOf({ store: "abc", product: "product_A" }))).toMatchObject({ status: 404 });
    for (const bad of ["0", "-1", "latest", "1.5", "99999999999", undefined]) {
      const { status, text } = await statusOf(() => versionParam(bad));
      expect(status, String(bad)).toBe(404);
      expect(text).toContain("version");
    }
  });

  it("takes two version numbers, the same one twice included", () => {
    expect(q("a=3&b=5")).toEqual({ ok: true, a: 3, b: 5 });
    expect(q("a=4&b=4")).toEqual({ ok: true, a: 4, b: 4 });
  });

  it("names the first missing or malformed field, keeping the other when it is good", () => {
    expect(q("")).toMatchObject({ ok: false, field: "a", message: "a: choose a version to compare" });
    expect(q("a=3")).toMatchObject({ ok: false, field: "b", a: 3, b: null });
    expect(q("a=x&b=2")).toMatchObject({ ok: false, field: "a", a: null, b: 2 });
    expect(q("a=2&b=0")).toMatchObject({
      ok: false,
      field: "b",
      message: 'b: a version number is a positive integer, got "0"',
    });
    expect(q(`a=1&b=${"9".repeat(40)}`)).toMatchObject({ ok: false, field: "b" });
  });
});
