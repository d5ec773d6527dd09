import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ApiError, NotFoundError, ValidationError } from "../../../app/errors.js";
import { runsQuery } from "../../../app/routes/_api+/contract.server.js";
import { openapiDocument } from "../../../app/routes/_api+/openapi.server.js";
import {
  fieldPath,
  MAX_BODY_BYTES,
  parseProduct,
  parseQuery,
  parseStore,
  readJson,
  toErrorResponse,
} from "../../../app/server/api.server.js";

const post = (body: BodyInit | null, headers: Record<string, string> = { "content-type": "application/json" }) =>
  new Request("http://x/api", { method: "POST", body, headers, duplex: "half" } as RequestInit);

async function status(p: Promise<unknown>): Promise<{ status: number; body: { error: string; details: object } }> {
  try {
    await p;
  } catch (err) {
    const res = toErrorResponse(err);
    return { status: res.status, body: await res.json() };
  }
  throw new Error("expected a rejection");
}

describe("readJson", () => {
  const schema = z.object({ a: z.number() });

  it("parses and validates a JSON body", async () => {
    expect(await readJson(post('{"a": 1}'), schema)).toEqual({ a: 1 });
    expect(
      await readJson(post('{"a": 1}', { "content-type": "application/vnd.x+json; charset=utf-8" }), schema),
    ).toEqual({ a: 1 });
  });

  it("answers 415, 400 (malformed, naming the field) and 413", async () => {
    expect((await status(readJson(post("a=1", { "content-type": "text/plain" }), schema))).status).toBe(415);
    const malformed = await status(readJson(post('{"a":'), schema));
    expect(malformed).toMatchObject({ status: 400, body: { details: { field: "body" } } });
    const invalid = await status(readJson(post('{"a": "x"}'), schema));
    expect(invalid).toMatchObject({ status: 400, body: { details: { field: "a" } } });
    const big = " ".repeat(MAX_BODY_BYTES + 1);
    expect((await status(readJson(post(big), schema))).status).toBe(413);
    // A streamed body without a length is counted as it arrives.
    const chunk = new TextEncoder().encode(" ".repeat(300_000));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 4; i++) c.enqueue(chunk);
        c.close();
      },
    });
    expect((await status(readJson(post(stream), schema))).status).toBe(413);
  });

  it("gives undefined to the schema for an empty body", async () => {
    expect(await readJson(post(null), z.object({}).optional())).toBeUndefined();
  });
});

describe("errors and parameters", () => {
  it("maps domain errors to statuses", async () => {
    expect(toErrorResponse(new ValidationError("end", "bad")).status).toBe(400);
    const nf = toErrorResponse(new NotFoundError("store", "unknown store 9"));
    expect(nf.status).toBe(404);
    expect(await nf.json()).toEqual({ error: "unknown store 9", details: { entity: "store" } });
    expect(toErrorResponse(new ApiError(409, "busy", { job: "1" })).status).toBe(409);
    const original = console.error;
    console.error = () => {};
    try {
      const res = toErrorResponse(new Error("secret internals"));
      expect(res.status).toBe(500);
      expect(JSON.stringify(await res.json())).not.toContain("secret");
    } finally {
      console.error = original;
    }
  });

  it("names zod paths", () => {
    expect(fieldPath([3, "store_id"])).toBe("[3].store_id");
    expect(fieldPath(["a", "b"])).toBe("a.b");
    expect(fieldPath([])).toBe("body");
  });

  it("takes product names of 1 to 100 characters without a NUL (Postgres text cannot hold one), naming the field", async () => {
    expect(parseProduct("product_A")).toBe("product_A");
    expect(parseProduct("Ä b/ç")).toBe("Ä b/ç");
    for (const bad of ["", "x".repeat(101), "product_A\u0000", "\u0000"]) {
      expect(() => parseProduct(bad, "product_name"), JSON.stringify(bad)).toThrow(ValidationError);
    }
    const nul = await status(Promise.resolve().then(() => parseProduct("a\u0000b")));
    expect(nul).toMatchObject({ status: 400, body: { details: { field: "product" } } });
    expect(nul.body.error).toMatch(/NUL/);
  });

  it("refuses a NUL in the runs' kind filter as a 400 naming it (a 500 from Postgres before)", async () => {
    const request = new Request("http://x/api/pipeline-runs?kind=train-all%00");
    const res = await status(Promise.resolve().then(() => parseQuery(request, runsQuery)));
    expect(res).toMatchObject({ status: 400, body: { details: { field: "kind" } } });
    expect(parseQuery(new Request("http://x/api/pipeline-runs?kind=retrain"), runsQuery).kind).toBe("retrain");
  });

  it("takes store numbers as positive integers only", () => {
    expect(parseStore("262")).toBe(262);
    expect(parseStore(7)).toBe(7);
    for (const bad of ["abc", "1.5", "-1", "0", "", "99999999999", " 1"]) {
      expect(() => parseStore(bad), bad).toThrow(ValidationError);
    }
  });
});

describe("OpenAPI document", () => {
  it("is OpenAPI 3.1 with request bodies from the zod schemas", () => {
    const doc = openapiDocument() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe("3.1.0");
    const seed = doc.paths["/api/forecasters/forecast"]!.post as {
      requestBody: { content: { "application/json": { schema: { type: string; items: { required: string[] } } } } };
    };
    const schema = seed.requestBody.content["application/json"].schema;
    expect(schema.type).toBe("array");
    expect(schema.items.required).toEqual(["store_id", "product_name"]);
    expect(JSON.parse(JSON.stringify(doc))).toEqual(doc);
  });
});
