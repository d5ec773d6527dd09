/**
 * The sales stream port: a partitioned, keyed log with consumer groups (Kafka's model). Two
 * adapters: Kafka via kafkajs (kafka.ts) and an in-process log for embedded mode (in-process.ts).
 * tests/support/stream-cases.ts holds both to one contract.
 *
 * Delivery is at least once: a consumer commits a batch's offsets only after its handler resolved,
 * so a crash between the handler's database commit and the offset commit delivers the batch again.
 * The handler's effect must therefore be idempotent (app/sales/ingest.server.ts upserts).
 */

export interface StreamMessage {
  key: string | null;
  /** The record's bytes; null for a tombstone (a message without a value). */
  value: Buffer | null;
  /** The message's position in its partition, as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  /** Milliseconds since the epoch, as a decimal string (when the producer sent it). */
  timestamp: string;
}

/** Consecutive messages of one partition, in offset order. */
export interface StreamBatch {
  topic: string;
  partition: number;
  messages: StreamMessage[];
}

export interface OutgoingMessage {
  /** Messages with the same key go to the same partition, so they stay in order. */
  key: string;
  value: string | Buffer;
}

export interface StreamProducer {
  /** Resolves once every message is stored (Kafka: acknowledged by all in-sync replicas). */
  send(messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

export interface CommitInfo {
  topic: string;
  partition: number;
  /** The committed offset: the next one the group reads from this partition. */
  offset: string;
  /** Messages in the committed batch. */
  messages: number;
}

export interface ConsumerOptions {
  /** Called after a batch's offsets are committed (metrics, benchmarks, tests). */
  onCommit?: (info: CommitInfo) => void;
  /** Called when the handler throws, before the batch is retried after `retryBackoffMs`. */
  onHandlerError?: (err: unknown, batch: StreamBatch, attempt: number) => void;
  /** Backoff before redelivering a batch whose handler threw: doubles from `min` up to `max`. */
  retryBackoffMs?: { min: number; max: number };
}

export type BatchHandler = (batch: StreamBatch) => Promise<void>;

export interface StreamConsumer {
  /**
   * Joins the group and starts handing batches to `handler`; resolves once consuming has started
   * (not when it ends). A group new to the topic starts at the oldest retained message. A batch's
   * offsets are committed only after `handler` resolves; a throwing handler gets the batch again
   * after a backoff, without losing its place. Partitions may be handled concurrently, each in order.
   */
  run(handler: BatchHandler): Promise<void>;
  /** Messages in the topic not yet committed by this consumer's group. */
  lag(): Promise<number>;
  /** Finishes the batch in flight, commits it, leaves the group. A batch being retried is abandoned uncommitted. */
  stop(): Promise<void>;
}

/** One member of a consumer group: who it is and the partitions of the topic assigned to it. */
export interface StreamMember {
  memberId: string;
  clientId: string;
  /** Where it connects from (Kafka: the client's address as the broker saw it; in-process: "in-process"). */
  host: string;
  /** Partitions of the stream's topic it owns, ascending. */
  partitions: number[];
}

/** One partition of the topic, as a group sees it. Offsets are decimal strings (64-bit in Kafka). */
export interface StreamPartitionState {
  partition: number;
  /** The oldest retained offset. */
  low: string;
  /** The high watermark: the offset the next message will get. */
  high: string;
  /** The group's committed offset (the next it reads); null when it never committed here. */
  committed: string | null;
  /** Messages from the group's position (committed, else the oldest retained) to the high watermark. */
  lag: number;
}

/** The topic and one consumer group, as an operator looks at them in a Kafka UI. */
export interface StreamState {
  kind: "kafka" | "in-process";
  topic: string;
  /** False when the topic does not exist yet (no partitions then). */
  topicExists: boolean;
  groupId: string;
  /** Kafka's group state (Stable, Empty, PreparingRebalance, Dead, ...): in-process Stable or Empty. */
  groupState: string;
  members: StreamMember[];
  partitions: StreamPartitionState[];
  /** Sum of the partitions' lag: what `lag(groupId)` answers. */
  lag: number;
}

export interface SalesStream {
  kind: "kafka" | "in-process";
  topic: string;
  /** Creates the topic with `partitions` partitions when it does not exist; never changes an existing one. */
  ensureTopic(partitions: number): Promise<void>;
  producer(): Promise<StreamProducer>;
  consumer(groupId: string, options?: ConsumerOptions): Promise<StreamConsumer>;
  /** Messages in the topic not yet committed by `groupId` (the whole topic for a group that never committed). */
  lag(groupId: string): Promise<number>;
  /** The topic's partitions with `groupId`'s members, committed offsets and lag (read-only; creates nothing). */
  state(groupId: string): Promise<StreamState>;
  /** Closes every producer and consumer this stream opened (stop consumers first to finish their batches). */
  close(): Promise<void>;
}

/** The stream's service cannot be reached or refused an operation it needs (one line, names the brokers). */
export class StreamUnavailableError extends Error {
  override name = "StreamUnavailableError";
}

/** A message larger than the broker accepts (Kafka's message.max.bytes, 1 MB by default). */
export class MessageTooLargeError extends Error {
  override name = "MessageTooLargeError";
}

/** Kafka's default message.max.bytes: the largest record batch a broker accepts. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

export const DEFAULT_RETRY_BACKOFF_MS = { min: 200, max: 10_000 } as const;

/** The wait before retry number `attempt` (1-based). */
export function retryDelay(attempt: number, backoff: { min: number; max: number } = DEFAULT_RETRY_BACKOFF_MS): number {
  return Math.min(backoff.max, backoff.min * 2 ** Math.min(attempt - 1, 20));
}
