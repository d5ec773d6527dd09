/**
 * Contract suite for the stream port's state(): the topic's partitions, a consumer group's members,
 * committed offsets and lag, as the /stream page shows them. The same cases run on the in-process
 * stream (unit) and on Kafka (integration). Every test uses a topic and groups of its own.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SalesStream, StreamConsumer, StreamState } from "../../app/stream/port.js";
import { kafkaPartition, message, record, uniqueName, waitFor } from "./stream-cases.js";

export interface StreamStateHarness {
  /** A stream on `topic` (a new name for every test). The suite closes it. */
  openStream(topic: string): SalesStream;
  /** How long a group may take to settle (Kafka: seconds). */
  timeoutMs?: number;
}

export function describeStreamStateContract(name: string, harness: StreamStateHarness): void {
  describe(name, () => {
    const timeout = harness.timeoutMs ?? 10_000;
    const streams: SalesStream[] = [];
    const consumers: StreamConsumer[] = [];
    const open = () => {
      const s = harness.openStream(uniqueName("storecast-state"));
      streams.push(s);
      return s;
    };
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.stop().catch(() => {})));
      await Promise.all(streams.splice(0).map((s) => s.close()));
    });

    /** Runs a member of `groupId` that counts what it is handed; returns it and its count. */
    async function member(stream: SalesStream, groupId: string) {
      const seen = { messages: 0 };
      const c = await stream.consumer(groupId, { retryBackoffMs: { min: 50, max: 500 } });
      consumers.push(c);
      await c.run(async (batch) => {
        seen.messages += batch.messages.length;
      });
      return { consumer: c, seen };
    }

    it("says a topic that does not exist yet has no partitions, and a group never seen has no member", async () => {
      const stream = open();
      const groupId = uniqueName("group");
      const state = await stream.state(groupId);
      expect(state).toEqual<StreamState>({
        kind: stream.kind,
        topic: stream.topic,
        topicExists: false,
        groupId,
        groupState: "Dead",
        members: [],
        partitions: [],
        lag: 0,
      });
    });

    it("gives every partition's watermarks; a group that never committed lags by all of it", async () => {
      const stream = open();
      await stream.ensureTopic(3);
      const producer = await stream.producer();
      const keys = Array.from({ length: 12 }, (_, i) => String(i + 1));
      await producer.send(keys.map((k) => message(record({ store: Number(k) }))));
      const expected = [0, 1, 2].map((p) => keys.filter((k) => kafkaPartition(k, 3) === p).length);
      const state = await stream.state(uniqueName("group"));
      expect(state.topicExists).toBe(true);
      expect(state.members).toEqual([]);
      expect(state.partitions).toEqual(
        expected.map((n, partition) => ({ partition, low: "0", high: String(n), committed: null, lag: n })),
      );
      expect(state.lag).toBe(12);
    });

    it("shows a running group's members with the partitions each owns, its commits and its lag as lag() does", async () => {
      const stream = open();
      await stream.ensureTopic(3);
      const producer = await stream.producer();
      const keys = Array.from({ length: 12 }, (_, i) => String(i + 1));
      await producer.send(keys.map((k) => message(record({ store: Number(k) }))));
      const groupId = uniqueName("group");
      const a = await member(stream, groupId);
      const b = await member(stream, groupId);
      let state!: StreamState;
      await waitFor(
        "two members sharing the three partitions, everything committed",
        async () => {
          state = await stream.state(groupId);
          const owned = state.members.flatMap((m) => m.partitions).sort();
          return state.members.length === 2 && owned.join() === "0,1,2" && state.lag === 0;
        },
        timeout,
      );
      expect(a.seen.messages + b.seen.messages).toBe(12);
      expect(state.groupState).toBe("Stable");
      for (const m of state.members) {
        expect(m.memberId).not.toBe("");
        expect(m.clientId).not.toBe("");
        expect(m.host).not.toBe("");
        expect(m.partitions.length).toBeGreaterThan(0);
      }
      for (const p of state.partitions) expect(p.committed).toBe(p.high);

      // Stopped members leave the group; their commits stay, and new messages are its lag.
      await a.consumer.stop();
      await b.consumer.stop();
      await producer.send([message(record({ store: 1 })), message(record({ store: 2 }))]);
      await waitFor("an empty group", async () => (await stream.state(groupId)).members.length === 0, timeout);
      state = await stream.state(groupId);
      expect(state.groupState).toBe("Empty");
      expect(state.lag).toBe(2);
      expect(await stream.lag(groupId)).toBe(2);
      expect(state.partitions.reduce((n, p) => n + p.lag, 0)).toBe(2);
      for (const p of state.partitions) expect(BigInt(p.high) - BigInt(p.committed!)).toBe(BigInt(p.lag));
    });
  });
}
