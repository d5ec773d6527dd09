import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseDay } from "../../../app/days.js";
import { ApiError, NotFoundError, ValidationError } from "../../../app/errors.js";
import {
  fieldPath,
  MAX_BODY_BYTES,
  mapBounded,
  parseStore,
  readJson,
  seedDay,
  seedForecastBody,
  seedRange,
  toErrorResponse,
} from "../../../app/server/api.server.js";
import { openapiDocument } from "../../../app/server/openapi.server.js";

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

  it("takes store numbers as positive integers only", () => {
    expect(parseStore("262")).toBe(262);
    expect(parseStore(7)).toBe(7);
    for (const bad of ["abc", "1.5", "-1", "0", "", "99999999999", " 1"]) {
      expect(() => parseStore(bad), bad).toThrow(ValidationError);
    }
  });
});

describe("reference forecast requests", () => {
  const today = parseDay("2025-06-10")!;

  it("defaults to 7 days from today, end exclusive", () => {
    const [item] = seedForecastBody.parse([{ store_id: "1", product_name: "product_A" }]);
    expect(seedRange(item!, 0, today)).toEqual({ fromDay: today, endDay: today + 7, days: 7 });
    const [explicit] = seedForecastBody.parse([
      { store_id: 1, product_name: "p", begin_date: "2025-06-01T00:00:00Z", end_date: "2025-06-08T00:00:00Z" },
    ]);
    expect(seedRange(explicit!, 0, today).days).toBe(7);
  });

  it("refuses an empty, reversed or too long range, naming the item's field", () => {
    const item = (begin_date: string, end_date: string) => ({ store_id: 1, product_name: "p", begin_date, end_date });
    expect(() => seedRange(item("2025-06-08T00:00:00Z", "2025-06-08T00:00:00Z"), 2)).toThrow(/end_date/);
    expect(() => seedRange(item("2025-06-09T00:00:00Z", "2025-06-01T00:00:00Z"), 0)).toThrow(ValidationError);
    expect(() => seedRange(item("2025-01-01T00:00:00Z", "2026-01-02T00:00:00Z"), 0)).toThrow(/365/);
    expect(seedRange(item("2025-01-01T00:00:00Z", "2026-01-01T00:00:00Z"), 0).days).toBe(365);
  });

  it("reads the reference date format, moving offsets to UTC", () => {
    expect(seedDay("2025-06-01T00:00:00Z", "f")).toBe(parseDay("2025-06-01"));
    expect(seedDay("2025-06-01", "f")).toBe(parseDay("2025-06-01"));
    expect(seedDay("2025-06-01T23:30:00Z", "f")).toBe(parseDay("2025-06-01"));
    expect(seedDay("2025-06-01T01:00:00+02:00", "f")).toBe(parseDay("2025-05-31"));
    expect(() => seedDay("2025-02-30T00:00:00Z", "f")).toThrow(ValidationError);
  });
});

describe("mapBounded", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapBounded([...Array(20).keys()], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 2));
      running--;
      return n * 2;
    });
    expect(out).toEqual([...Array(20).keys()].map((n) => n * 2));
    expect(peak).toBe(3);
  });

  it("rejects with the first error and starts nothing more", async () => {
    let started = 0;
    await expect(
      mapBounded([...Array(50).keys()], 2, async (n) => {
        started++;
        await new Promise((r) => setTimeout(r, 1));
        if (n === 3) throw new Error("boom");
        return n;
      }),
    ).rejects.toThrow("boom");
    expect(started).toBeLessThan(10);
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
