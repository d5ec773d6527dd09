import { describe, expect, it } from "vitest";
import { jsonArrayStream } from "../../../app/server/json-stream.server.js";

async function read(stream: ReadableStream<Uint8Array>): Promise<{ text: string; chunks: number }> {
  let text = "";
  let chunks = 0;
  const decoder = new TextDecoder();
  const reader = stream.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    text += decoder.decode(r.value, { stream: true });
    chunks++;
  }
  return { text, chunks };
}

describe("a JSON array streamed", () => {
  it("is the same JSON as the whole array, in slices", async () => {
    for (const n of [0, 1, 127, 128, 129, 1000]) {
      const items = Array.from({ length: n }, (_, i) => ({ i, s: `é${i}"` }));
      const { text, chunks } = await read(jsonArrayStream(n, (i) => items[i]));
      expect(text).toBe(JSON.stringify(items));
      expect(chunks).toBe(Math.max(1, Math.ceil(n / 128)));
    }
  });

  it("makes each item only when the response pulls it, and stops once the client left", async () => {
    const made: number[] = [];
    const left = new AbortController();
    const stream = jsonArrayStream(10_000, (i) => made.push(i), left.signal);
    const reader = stream.getReader();
    await reader.read();
    expect(made.length).toBeLessThanOrEqual(2 * 128);
    left.abort();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {}
    expect(made.length).toBeLessThan(10_000);
  });
});
