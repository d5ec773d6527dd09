import { describe, expect, it } from "vitest";
import { openDatabase } from "../../../app/platform/db.server.js";
import { parseRejectsQuery } from "../../../app/sales/rejects.server.js";
import { describeRejectReads } from "../../support/rejects-cases.js";

describeRejectReads("PGlite in memory", async () => {
  const db = await openDatabase({ pgliteDir: "memory://" });
  return { db, dispose: () => db.close() };
});

describe("parseRejectsQuery", () => {
  const parse = (q: string) => parseRejectsQuery(new URLSearchParams(q));
  const refusal = (q: string) => {
    try {
      parse(q);
    } catch (err) {
      return { field: (err as { field?: string }).field, message: (err as Error).message };
    }
    throw new Error(`accepted ${q}`);
  };

  it("reads the filter, ignoring empty fields", () => {
    expect(parse("")).toEqual({});
    expect(parse("reason=&from=&to=&before=")).toEqual({});
    expect(parse("reason=not_json&from=2024-06-01&to=2024-06-01&before=42")).toEqual({
      kind: "not_json",
      from: "2024-06-01",
      to: "2024-06-01",
      before: 42,
    });
  });

  it("refuses each bad field by name", () => {
    expect(refusal("reason=nope")).toMatchObject({ field: "reason", message: expect.stringContaining("not_json") });
    expect(refusal("from=2024-02-30")).toMatchObject({ field: "from" });
    expect(refusal("to=yesterday")).toMatchObject({ field: "to" });
    expect(refusal("before=0")).toMatchObject({ field: "before" });
    expect(refusal("before=1e3")).toMatchObject({ field: "before" });
    expect(refusal("before=99999999999")).toMatchObject({ field: "before" });
    expect(refusal("from=2024-06-02&to=2024-06-01")).toMatchObject({ field: "to" });
    expect(refusal("reason=empty&reason=other")).toMatchObject({ field: "reason" });
  });
});
