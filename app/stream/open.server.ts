import type { Logger } from "pino";
import type { Config } from "../platform/config.server.js";
import { InProcessStream } from "./in-process.server.js";
import { KafkaStream } from "./kafka.server.js";
import { type KafkaSecurityConfig, kafkaSecurity } from "./kafka-security.server.js";
import type { SalesStream } from "./port.js";

type StreamConfig = Pick<
  Config,
  "KAFKA_BROKERS" | "KAFKA_TOPIC" | "KAFKA_CLIENT_ID" | "KAFKA_PARTITIONS" | "KAFKA_SESSION_TIMEOUT_MS"
> &
  Partial<KafkaSecurityConfig>;

/** Kafka when KAFKA_BROKERS is set, the in-process stream otherwise. Connects lazily (on first use). */
export function openSalesStream(config: StreamConfig, log?: Logger): SalesStream {
  if (config.KAFKA_BROKERS) {
    return new KafkaStream({
      brokers: config.KAFKA_BROKERS,
      topic: config.KAFKA_TOPIC,
      clientId: config.KAFKA_CLIENT_ID,
      sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS,
      ...kafkaSecurity(config),
      log,
    });
  }
  return new InProcessStream({ topic: config.KAFKA_TOPIC, defaultPartitions: config.KAFKA_PARTITIONS });
}
