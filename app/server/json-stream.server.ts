/**
 * A large JSON array answered as a stream: items are serialised a slice at a time, when the
 * response pulls them, with the event loop free between slices, so a big answer is never one huge
 * string and other requests are served while it goes out. Stops when the client has left.
 */

/** Items serialised per slice: ~100 kB of the reference batch's answer. */
const SLICE = 128;

export function jsonArrayStream(
  count: number,
  item: (index: number) => unknown,
  signal?: AbortSignal,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let next = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (next > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) {
        controller.close();
        return;
      }
      let text = next === 0 ? "[" : "";
      const end = Math.min(count, next + SLICE);
      for (; next < end; next++) text += (next === 0 ? "" : ",") + JSON.stringify(item(next));
      if (next >= count) text += "]";
      controller.enqueue(encoder.encode(text));
      if (next >= count) controller.close();
    },
  });
}
