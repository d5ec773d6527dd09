/**
 * The Kafka adapter of the sales stream port (kafkajs).
 *
 * Consuming: eachBatch with auto-resolve and auto-commit off. After the handler resolved (the
 * database transaction committed), the batch's last offset is resolved and committed explicitly,
 * so an offset is never committed for a record whose write is not durable. A throwing handler is
 * retried on the same batch with a growing backoff, heartbeating meanwhile, so the partition keeps
 * its place and its member stays in the group. Partitions are consumed concurrently, each in order.
 */
import type { ConnectionOptions } from "node:tls";
import type { Admin, Consumer, EachBatchPayload, Kafka, LogEntry, Producer, SASLOptions } from "kafkajs";
import kafkajs from "kafkajs";
import type { Logger } from "pino";
import { groupState, partitionStates } from "./kafka-state.server.js";
import {
  type BatchHandler,
  type ConsumerOptions,
  MessageTooLargeError,
  type OutgoingMessage,
  retryDelay,
  type SalesStream,
  type StreamBatch,
  type StreamConsumer,
  type StreamProducer,
  type StreamState,
  StreamUnavailableError,
} from "./port.js";

const { Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;

export interface KafkaStreamOptions {
  brokers: string[];
  topic: string;
  clientId?: string;
  /** A consumer silent this long is dropped from its group and its partitions reassigned (default 30 s). */
  sessionTimeoutMs?: number;
  /** TLS to the brokers (true: checked against the system's authorities). */
  ssl?: ConnectionOptions | true | undefined;
  /** SASL authentication (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512). */
  sasl?: SASLOptions | undefined;
  /** kafkajs's own log lines go here (ERROR as warn: kafkajs reports recoverable rebalances as errors). */
  log?: Logger;
}

/** The kafkajs log level matching a pino level. */
function kafkaLevel(log: Logger | undefined): number {
  if (!log) return logLevel.NOTHING;
  switch (log.level) {
    case "trace":
    case "debug":
      return logLevel.DEBUG;
    case "info":
      return logLevel.INFO;
    case "warn":
      return logLevel.WARN;
    case "silent":
      return logLevel.NOTHING;
    default:
      return logLevel.ERROR;
  }
}

function logCreator(log: Logger | undefined) {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      if (!log) return;
      const { message, timestamp: _t, ...extra } = entry;
      const fields = { kafka: namespace, ...extra };
      if (level === logLevel.ERROR || level === logLevel.WARN) log.warn(fields, `kafka: ${message}`);
      else if (level === logLevel.INFO) log.info(fields, `kafka: ${message}`);
      else log.debug(fields, `kafka: ${message}`);
    };
}

/** The first error in a kafkajs error chain (cause, originalError, errors) with this protocol type. */
function findErrorType(err: unknown, type: string, depth = 0): boolean {
  if (!err || typeof err !== "object" || depth > 5) return false;
  const e = err as { type?: string; cause?: unknown; originalError?: unknown; errors?: unknown[] };
  if (e.type === type) return true;
  return (
    findErrorType(e.cause, type, depth + 1) ||
    findErrorType(e.originalError, type, depth + 1) ||
    (Array.isArray(e.errors) && e.errors.some((x) => findErrorType(x, type, depth + 1)))
  );
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();
const messageOf = (err: unknown) => oneLine(err instanceof Error ? err.message || err.name : String(err));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * How a kafkajs consumer crash is logged. A retriable one (a coordinator still loading on a fresh
 * broker, a rebalance) is restarted by kafkajs itself: a warning, nothing for a person to do. An
 * error line means the consumer stopped and needs a look (we restart it after 5 s).
 */
export function crashReport(payload: { restart: boolean }): { level: "warn" | "error"; message: string } {
  return payload.restart
    ? { level: "warn", message: "kafka consumer restarting after a transient error" }
    : { level: "error", message: "kafka consumer crashed" };
}

class KafkaConsumer implements StreamConsumer {
  private consumer: Consumer | undefined;
  private handler: BatchHandler | undefined;
  private running = false;
  private restartTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly stream: KafkaStream,
    private readonly groupId: string,
    private readonly options: ConsumerOptions,
  ) {}

  async run(handler: BatchHandler): Promise<void> {
    if (this.running) throw new Error("consumer is already running");
    this.handler = handler;
    this.running = true;
    try {
      await this.start();
    } catch (err) {
      this.running = false;
      throw err;
    }
  }

  private async start(): Promise<void> {
    const partitions = await this.stream.partitionCount();
    const session = this.stream.sessionTimeoutMs;
    const consumer = this.stream.kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: session,
      heartbeatInterval: Math.min(3000, Math.floor(session / 3)),
      // The broker holds an empty fetch this long: short enough that stop() is quick.
      maxWaitTimeInMs: 1000,
    });
    this.consumer = consumer;
    // A crash kafkajs does not recover from itself (a non-retriable error): start again, while running.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      const { level, message } = crashReport(payload);
      this.stream.log?.[level]({ err: payload.error, groupId: this.groupId }, message);
      if (payload.restart || !this.running) return;
      this.restartTimer = setTimeout(() => {
        void consumer
          .disconnect()
          .catch(() => {})
          .then(() => (this.running ? this.start() : undefined))
          .catch((err: unknown) => this.stream.log?.error({ err }, "kafka consumer restart failed"));
      }, 5000);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: this.stream.topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: Math.max(1, Math.min(partitions, 16)),
        eachBatch: (payload) => this.eachBatch(payload),
      });
    } catch (err) {
      await consumer.disconnect().catch(() => {});
      throw this.stream.unavailable(err);
    }
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, commitOffsetsIfNecessary, heartbeat, isRunning, isStale } = payload;
    if (batch.messages.length === 0) return;
    const streamBatch: StreamBatch = {
      topic: batch.topic,
      partition: batch.partition,
      messages: batch.messages.map((m) => ({
        key: m.key === null ? null : m.key.toString("utf8"),
        value: m.value,
        offset: m.offset,
        timestamp: m.timestamp,
      })),
    };
    for (let attempt = 1; ; attempt++) {
      if (!isRunning() || isStale()) return;
      try {
        await this.handler!(streamBatch);
        break;
      } catch (err) {
        this.options.onHandlerError?.(err, streamBatch, attempt);
        // Wait, heartbeating so the group keeps this member; a rebalance throws out of here, and the
        // partition's next owner starts at the last committed offset: this batch again.
        const until = Date.now() + retryDelay(attempt, this.options.retryBackoffMs);
        while (Date.now() < until && isRunning()) {
          await sleep(Math.min(1000, until - Date.now()));
          await heartbeat();
        }
      }
    }
    const last = batch.messages[batch.messages.length - 1]!.offset;
    const next = (BigInt(last) + 1n).toString();
    resolveOffset(last);
    await commitOffsetsIfNecessary({
      topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: next }] }],
    });
    this.options.onCommit?.({
      topic: batch.topic,
      partition: batch.partition,
      offset: next,
      messages: batch.messages.length,
    });
  }

  lag(): Promise<number> {
    return this.stream.lag(this.groupId);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearTimeout(this.restartTimer);
    // disconnect() stops fetching, waits for the batches in flight (they commit), then leaves the group.
    await this.consumer?.disconnect();
    this.stream.forget(this);
  }
}

export class KafkaStream implements SalesStream {
  readonly kind = "kafka" as const;
  readonly topic: string;
  readonly kafka: Kafka;
  readonly log: Logger | undefined;
  readonly sessionTimeoutMs: number;
  private readonly brokers: string[];
  private admin: Promise<Admin> | undefined;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<KafkaConsumer>();

  constructor(options: KafkaStreamOptions) {
    this.topic = options.topic;
    this.brokers = options.brokers;
    this.log = options.log;
    this.sessionTimeoutMs = options.sessionTimeoutMs ?? 30_000;
    this.kafka = new KafkaClient({
      clientId: options.clientId ?? "storecast",
      brokers: options.brokers,
      ...(options.ssl ? { ssl: options.ssl } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
      connectionTimeout: 3000,
      retry: { retries: 5, initialRetryTime: 300, maxRetryTime: 5000 },
      logLevel: kafkaLevel(options.log),
      logCreator: logCreator(options.log),
    });
  }

  /** An error of an operation on the brokers, as one line naming them. */
  unavailable(err: unknown): Error {
    if (err instanceof StreamUnavailableError || err instanceof MessageTooLargeError) return err;
    return new StreamUnavailableError(`Kafka at ${this.brokers.join(",")}: ${messageOf(err)}`);
  }

  private getAdmin(): Promise<Admin> {
    this.admin ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (err) {
        this.admin = undefined;
        throw this.unavailable(err);
      }
      return admin;
    })();
    return this.admin;
  }

  async ensureTopic(partitions: number): Promise<void> {
    const admin = await this.getAdmin();
    try {
      // false (not an error) when the topic exists; replicas: the broker's default.
      await admin.createTopics({ topics: [{ topic: this.topic, numPartitions: partitions }], waitForLeaders: true });
    } catch (err) {
      if (findErrorType(err, "TOPIC_ALREADY_EXISTS")) return;
      throw this.unavailable(err);
    }
  }

  /** Partitions of the topic (1 when it does not exist yet: the broker may create it with its default). */
  async partitionCount(): Promise<number> {
    const admin = await this.getAdmin();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.topic] });
      return topics[0]?.partitions.length || 1;
    } catch {
      return 1;
    }
  }

  async producer(): Promise<StreamProducer> {
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      // One request in flight per broker: a retried request cannot overtake the next one, so a key's
      // records stay in the order they were sent.
      maxInFlightRequests: 1,
    });
    try {
      await producer.connect();
    } catch (err) {
      throw this.unavailable(err);
    }
    this.producers.add(producer);
    return {
      send: async (messages: OutgoingMessage[]) => {
        try {
          await producer.send({
            topic: this.topic,
            acks: -1,
            messages: messages.map((m) => ({ key: m.key, value: m.value })),
          });
        } catch (err) {
          if (findErrorType(err, "MESSAGE_TOO_LARGE")) throw new MessageTooLargeError(messageOf(err));
          throw this.unavailable(err);
        }
      },
      close: async () => {
        this.producers.delete(producer);
        await producer.disconnect();
      },
    };
  }

  async consumer(groupId: string, options: ConsumerOptions = {}): Promise<StreamConsumer> {
    const c = new KafkaConsumer(this, groupId, options);
    this.consumers.add(c);
    return c;
  }

  forget(consumer: KafkaConsumer): void {
    this.consumers.delete(consumer);
  }

  async lag(groupId: string): Promise<number> {
    const admin = await this.getAdmin();
    try {
      const partitions = await partitionStates(admin, this.topic, groupId);
      return partitions.reduce((n, p) => n + p.lag, 0);
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async state(groupId: string): Promise<StreamState> {
    const admin = await this.getAdmin();
    try {
      return await groupState(admin, this.topic, groupId);
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop().catch(() => {})));
    await Promise.all([...this.producers].map((p) => p.disconnect().catch(() => {})));
    this.producers.clear();
    const admin = this.admin;
    this.admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }
}
