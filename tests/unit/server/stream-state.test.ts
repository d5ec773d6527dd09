import { describe, expect, it } from "vitest";
import { StreamStateSnapshots } from "../../../app/server/stream-state.server.js";
import { InProcessStream } from "../../../app/stream/in-process.server.js";
import type { SalesStream, StreamState } from "../../../app/stream/port.js";

/** A stream whose state() answers what `answer` says, counting the calls. */
function countingStream(answer: () => Promise<StreamState>) {
  const calls = { n: 0 };
  const stream: Pick<SalesStream, "kind" | "state"> = {
    kind: "kafka",
    state: () => {
      calls.n++;
      return answer();
    },
  };
  return { stream, calls };
}

describe("the /stream page's state snapshots", () => {
  it("reads the stream once per ttl and shares a read in flight", async () => {
    const inner = new InProcessStream({ topic: "t" });
    await inner.ensureTopic(2);
    const { stream, calls } = countingStream(() => inner.state("g"));
    let now = 1_000;
    const snapshots = new StreamStateSnapshots(stream, { ttlMs: 5000, now: () => now });
    const [a, b] = await Promise.all([snapshots.read("g"), snapshots.read("g")]);
    expect(calls.n).toBe(1);
    expect(a).toBe(b);
    expect(a).toMatchObject({ ok: true, state: { topic: "t", partitions: [{ partition: 0 }, { partition: 1 }] } });
    now += 4999;
    await snapshots.read("g");
    expect(calls.n).toBe(1);
    now += 1;
    await snapshots.read("g");
    expect(calls.n).toBe(2);
    // Another group is another read.
    await snapshots.read("other");
    expect(calls.n).toBe(3);
  });

  it("turns a failing read into a snapshot with its message, cached like a good one", async () => {
    const { stream, calls } = countingStream(() =>
      Promise.reject(new Error("Kafka at 127.0.0.1:1: Connection error: connect ECONNREFUSED")),
    );
    let now = 0;
    const snapshots = new StreamStateSnapshots(stream, { ttlMs: 5000, now: () => now });
    expect(await snapshots.read("g")).toEqual({
      ok: false,
      error: "Kafka at 127.0.0.1:1: Connection error: connect ECONNREFUSED",
      readAt: 0,
    });
    now = 100;
    await snapshots.read("g");
    expect(calls.n).toBe(1);
  });

  it("answers within its timeout when the stream does not", async () => {
    const { stream } = countingStream(() => new Promise<StreamState>(() => {}));
    const snapshots = new StreamStateSnapshots(stream, { timeoutMs: 50 });
    expect(await snapshots.read("g")).toMatchObject({ ok: false, error: "Kafka did not answer within 50 ms" });
  });
});
