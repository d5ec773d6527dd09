/**
 * How the Kafka client protects its connections, from the configuration: TLS (KAFKA_SSL, with the
 * authorities of KAFKA_SSL_CA_FILE instead of the system's) and SASL (PLAIN, SCRAM-SHA-256 or
 * SCRAM-SHA-512 with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD), in kafkajs's terms.
 */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { SASLOptions } from "kafkajs";
import { type Config, ConfigError } from "../platform/config.server.js";

export type KafkaSecurityConfig = Pick<
  Config,
  "KAFKA_SSL" | "KAFKA_SSL_CA_FILE" | "KAFKA_SASL_MECHANISM" | "KAFKA_SASL_USERNAME" | "KAFKA_SASL_PASSWORD"
>;

export interface KafkaSecurity {
  /** undefined: plain TCP; true: TLS checked against the system's authorities. */
  ssl: ConnectionOptions | true | undefined;
  sasl: SASLOptions | undefined;
}

export function kafkaSecurity(config: KafkaSecurityConfig): KafkaSecurity {
  let ssl: KafkaSecurity["ssl"];
  if (config.KAFKA_SSL_CA_FILE !== undefined) {
    let ca: string;
    try {
      ca = readFileSync(config.KAFKA_SSL_CA_FILE, "utf8");
    } catch (err) {
      const why = (err as NodeJS.ErrnoException).code ?? "unreadable";
      throw new ConfigError(
        `Invalid environment variable KAFKA_SSL_CA_FILE: cannot read ${config.KAFKA_SSL_CA_FILE} (${why})`,
      );
    }
    if (!ca.includes("-----BEGIN CERTIFICATE-----")) {
      throw new ConfigError(
        `Invalid environment variable KAFKA_SSL_CA_FILE: ${config.KAFKA_SSL_CA_FILE} holds no PEM certificate`,
      );
    }
    ssl = { ca, rejectUnauthorized: true };
  } else if (config.KAFKA_SSL === true) {
    ssl = true;
  }
  const { KAFKA_SASL_MECHANISM: mechanism, KAFKA_SASL_USERNAME: username, KAFKA_SASL_PASSWORD: password } = config;
  // loadConfig requires the user and password with a mechanism.
  const sasl =
    mechanism !== undefined && username !== undefined && password !== undefined
      ? ({ mechanism, username, password } as SASLOptions)
      : undefined;
  return { ssl, sasl };
}
