/**
 * The in-process sales stream (embedded mode): Kafka's model in memory. A topic is a set of
 * partitions, each an append-only log; a message goes to the partition its key hashes to (Kafka's
 * own murmur2 partitioner, so a key lands on the same partition number as it would on a broker);
 * each consumer group keeps its committed offset per partition. Retention is bounded per
 * partition (messages and bytes): a group that falls further behind than that resumes at the
 * oldest retained message, as a Kafka consumer would after log retention removed its offset.
 *
 * Nothing survives the process: in embedded mode the producer runs in the same process, and what
 * was consumed is in the database. Messages produced but not yet consumed at shutdown are lost.
 */
import kafkajs from "kafkajs";
import {
  type BatchHandler,
  type ConsumerOptions,
  DEFAULT_MAX_MESSAGE_BYTES,
  MessageTooLargeError,
  type OutgoingMessage,
  retryDelay,
  type SalesStream,
  type StreamBatch,
  type StreamConsumer,
  type StreamMessage,
  type StreamProducer,
  type StreamState,
} from "./port.js";

export interface InProcessStreamOptions {
  topic: string;
  /** Partitions of a topic created by a send before ensureTopic (default 1, like Kafka's num.partitions). */
  defaultPartitions?: number;
  /** Per partition: the oldest messages are dropped past either bound (defaults 100,000 and 64 MiB). */
  retention?: { maxMessages?: number; maxBytes?: number };
  /** Largest message accepted, key plus value (default Kafka's 1,048,588 bytes). */
  maxMessageBytes?: number;
  /** Largest batch handed to a handler (defaults 5,000 messages, 1 MiB; a larger single message still goes alone). */
  maxBatchMessages?: number;
  maxBatchBytes?: number;
}

interface StoredMessage {
  key: string | null;
  value: Buffer | null;
  timestamp: string;
  bytes: number;
}

class PartitionLog {
  /** Offset of messages[0]. */
  base = 0;
  messages: StoredMessage[] = [];
  bytes = 0;

  get high(): number {
    return this.base + this.messages.length;
  }

  append(m: StoredMessage, maxMessages: number, maxBytes: number): void {
    this.messages.push(m);
    this.bytes += m.bytes;
    let drop = Math.max(0, this.messages.length - maxMessages);
    let bytes = this.bytes;
    for (let i = 0; i < drop; i++) bytes -= this.messages[i]!.bytes;
    while (bytes > maxBytes && drop < this.messages.length - 1) bytes -= this.messages[drop++]!.bytes;
    if (drop > 0) {
      this.messages.splice(0, drop);
      this.base += drop;
      this.bytes = bytes;
    }
  }

  read(from: number, maxMessages: number, maxBytes: number): StreamMessage[] {
    const out: StreamMessage[] = [];
    let bytes = 0;
    for (let o = Math.max(from, this.base); o < this.high && out.length < maxMessages; o++) {
      const m = this.messages[o - this.base]!;
      if (out.length > 0 && bytes + m.bytes > maxBytes) break;
      bytes += m.bytes;
      out.push({ key: m.key, value: m.value, offset: String(o), timestamp: m.timestamp });
    }
    return out;
  }
}

/** Wakes everyone waiting when something changes (a message arrives, a member joins or leaves). */
class Wakeup {
  private waiters = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  wake(): void {
    for (const w of [...this.waiters]) w();
  }
}

class Group {
  /** Partition -> next offset to read. */
  readonly committed = new Map<number, number>();
  readonly members: InProcessConsumer[] = [];
  /** Partitions a member is handling right now: no other member takes them meanwhile. */
  readonly inFlight = new Set<number>();

  /** Partitions of `member`: round-robin over the members in join order. */
  assignment(member: InProcessConsumer, partitions: number): number[] {
    const i = this.members.indexOf(member);
    if (i < 0) return [];
    const out: number[] = [];
    for (let p = i; p < partitions; p += this.members.length) out.push(p);
    return out;
  }
}

class Topic {
  readonly partitions: PartitionLog[] = [];
  readonly groups = new Map<string, Group>();
  readonly changed = new Wakeup();

  constructor(partitions: number) {
    for (let p = 0; p < partitions; p++) this.partitions.push(new PartitionLog());
  }

  group(id: string): Group {
    let g = this.groups.get(id);
    if (!g) {
      g = new Group();
      this.groups.set(id, g);
    }
    return g;
  }

  /** Where `group` reads next in partition `p`: its committed offset, or the oldest retained message. */
  position(group: Group, p: number): number {
    const log = this.partitions[p]!;
    return Math.max(group.committed.get(p) ?? log.base, log.base);
  }

  lag(groupId: string): number {
    const g = this.groups.get(groupId);
    let lag = 0;
    this.partitions.forEach((log, p) => {
      lag += log.high - (g ? this.position(g, p) : log.base);
    });
    return lag;
  }
}

const IDLE_WAIT_MS = 1000;

let members = 0;

class InProcessConsumer implements StreamConsumer {
  /** Kafka-style member id: the client id and a number unique in this process. */
  readonly memberId = `storecast-${++members}`;
  private running = false;
  private loop: Promise<void> = Promise.resolve();
  private readonly stopping = new Wakeup();
  private next = 0;

  constructor(
    private readonly stream: InProcessStream,
    private readonly groupId: string,
    private readonly options: ConsumerOptions,
  ) {}

  async run(handler: BatchHandler): Promise<void> {
    if (this.running) throw new Error("consumer is already running");
    const topic = this.stream.topicLog();
    const group = topic.group(this.groupId);
    group.members.push(this);
    this.running = true;
    topic.changed.wake();
    this.loop = this.consume(topic, group, handler).finally(() => {
      const i = group.members.indexOf(this);
      if (i >= 0) group.members.splice(i, 1);
      topic.changed.wake();
    });
  }

  private nextBatch(topic: Topic, group: Group): StreamBatch | undefined {
    const assigned = group.assignment(this, topic.partitions.length);
    for (let k = 0; k < assigned.length; k++) {
      const p = assigned[(this.next + k) % assigned.length]!;
      if (group.inFlight.has(p)) continue;
      const log = topic.partitions[p]!;
      const from = topic.position(group, p);
      if (from >= log.high) continue;
      this.next = (this.next + k + 1) % assigned.length;
      const messages = log.read(from, this.stream.maxBatchMessages, this.stream.maxBatchBytes);
      return { topic: this.stream.topic, partition: p, messages };
    }
    return undefined;
  }

  private async consume(topic: Topic, group: Group, handler: BatchHandler): Promise<void> {
    while (this.running) {
      const batch = this.nextBatch(topic, group);
      if (!batch) {
        await topic.changed.wait(IDLE_WAIT_MS);
        continue;
      }
      group.inFlight.add(batch.partition);
      try {
        await this.handle(batch, group, handler);
      } finally {
        group.inFlight.delete(batch.partition);
        topic.changed.wake();
      }
    }
  }

  /** Runs the handler until it succeeds (then commits) or the consumer stops (then leaves the batch uncommitted). */
  private async handle(batch: StreamBatch, group: Group, handler: BatchHandler): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler(batch);
      } catch (err) {
        this.options.onHandlerError?.(err, batch, attempt);
        if (!this.running) return;
        await this.stopping.wait(retryDelay(attempt, this.options.retryBackoffMs));
        if (!this.running) return;
        continue;
      }
      const offset = Number(batch.messages[batch.messages.length - 1]!.offset) + 1;
      group.committed.set(batch.partition, offset);
      this.options.onCommit?.({
        topic: batch.topic,
        partition: batch.partition,
        offset: String(offset),
        messages: batch.messages.length,
      });
      return;
    }
  }

  async lag(): Promise<number> {
    return this.stream.lag(this.groupId);
  }

  async stop(): Promise<void> {
    this.running = false;
    this.stopping.wake();
    this.stream.topicLog().changed.wake();
    await this.loop;
  }
}

export class InProcessStream implements SalesStream {
  readonly kind = "in-process" as const;
  readonly topic: string;
  readonly maxBatchMessages: number;
  readonly maxBatchBytes: number;
  private log: Topic | undefined;
  private readonly consumers = new Set<InProcessConsumer>();
  private readonly partitioner = kafkajs.Partitioners.DefaultPartitioner();
  private closed = false;

  constructor(private readonly options: InProcessStreamOptions) {
    this.topic = options.topic;
    this.maxBatchMessages = options.maxBatchMessages ?? 5000;
    this.maxBatchBytes = options.maxBatchBytes ?? 1 << 20;
  }

  /** The topic's log, created with the default partition count when nothing created it yet. */
  topicLog(): Topic {
    this.log ??= new Topic(this.options.defaultPartitions ?? 1);
    return this.log;
  }

  async ensureTopic(partitions: number): Promise<void> {
    if (!Number.isInteger(partitions) || partitions < 1)
      throw new RangeError(`partitions: expected >= 1, got ${partitions}`);
    this.log ??= new Topic(partitions);
  }

  private metadata: Parameters<typeof this.partitioner>[0]["partitionMetadata"] = [];

  /** Kafka's default partitioner, fed the metadata of a topic whose partitions all have a leader. */
  private partitionOf(key: string, partitions: number): number {
    if (this.metadata.length !== partitions) {
      this.metadata = Array.from({ length: partitions }, (_, partitionId) => ({
        partitionId,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
      }));
    }
    return this.partitioner({ topic: this.topic, partitionMetadata: this.metadata, message: { key, value: null } });
  }

  private send(messages: OutgoingMessage[]): void {
    if (this.closed) throw new Error("the stream is closed");
    const limit = this.options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const stored = messages.map((m) => {
      const value = typeof m.value === "string" ? Buffer.from(m.value, "utf8") : m.value;
      const bytes = Buffer.byteLength(m.key, "utf8") + value.length;
      if (bytes > limit) {
        throw new MessageTooLargeError(
          `message of ${bytes} bytes (key ${JSON.stringify(m.key.slice(0, 40))}) is larger than the broker accepts (${limit} bytes)`,
        );
      }
      return { key: m.key, value, bytes };
    });
    const topic = this.topicLog();
    const maxMessages = this.options.retention?.maxMessages ?? 100_000;
    const maxBytes = this.options.retention?.maxBytes ?? 64 << 20;
    const timestamp = String(Date.now());
    for (const m of stored) {
      const p = this.partitionOf(m.key, topic.partitions.length);
      topic.partitions[p]!.append({ ...m, timestamp }, maxMessages, maxBytes);
    }
    topic.changed.wake();
  }

  async producer(): Promise<StreamProducer> {
    return {
      send: async (messages) => this.send(messages),
      close: async () => {},
    };
  }

  async consumer(groupId: string, options: ConsumerOptions = {}): Promise<StreamConsumer> {
    if (this.closed) throw new Error("the stream is closed");
    const c = new InProcessConsumer(this, groupId, options);
    this.consumers.add(c);
    return c;
  }

  async lag(groupId: string): Promise<number> {
    return this.topicLog().lag(groupId);
  }

  async state(groupId: string): Promise<StreamState> {
    const base = { kind: this.kind, topic: this.topic, groupId };
    const topic = this.log;
    if (!topic) return { ...base, topicExists: false, groupState: "Dead", members: [], partitions: [], lag: 0 };
    const group = topic.groups.get(groupId);
    const partitions = topic.partitions.map((log, partition) => {
      const committed = group?.committed.get(partition);
      const position = group ? topic.position(group, partition) : log.base;
      return {
        partition,
        low: String(log.base),
        high: String(log.high),
        committed: committed === undefined ? null : String(committed),
        lag: log.high - position,
      };
    });
    const members = (group?.members ?? []).map((m) => ({
      memberId: m.memberId,
      clientId: "storecast",
      host: "in-process",
      partitions: group!.assignment(m, topic.partitions.length),
    }));
    return {
      ...base,
      topicExists: true,
      // Kafka's words: Dead for a group it does not know, Empty for one without members.
      groupState: !group ? "Dead" : members.length > 0 ? "Stable" : "Empty",
      members,
      partitions,
      lag: partitions.reduce((n, p) => n + p.lag, 0),
    };
  }

  /** Offsets [low, high) retained per partition (tests, diagnostics). */
  offsets(): { partition: number; low: number; high: number }[] {
    return this.topicLog().partitions.map((log, partition) => ({ partition, low: log.base, high: log.high }));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.consumers].map((c) => c.stop()));
    this.consumers.clear();
  }
}
