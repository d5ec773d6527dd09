/**
 * The Kafka client authenticating to a real broker: scripts/start-kafka-sasl.sh starts one whose
 * SASL_PLAINTEXT and SASL_SSL listeners know a PLAIN, a SCRAM-SHA-256 and a SCRAM-SHA-512 user. The
 * stream is opened from the environment, as the app opens it (loadConfig -> openSalesStream).
 */
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../app/platform/config.server.js";
import { openSalesStream } from "../../app/stream/open.server.js";
import type { SalesStream, StreamConsumer } from "../../app/stream/port.js";
import { ROOT, runScript, tempDir } from "../support/processes.js";
import { uniqueName, waitFor } from "../support/stream-cases.js";

const run = promisify(execFile);

/** The users scripts/start-kafka-sasl.sh creates, by mechanism. */
const USERS = {
  PLAIN: ["storecast-plain", "plain-secret"],
  "SCRAM-SHA-256": ["storecast-scram256", "scram256-secret"],
  "SCRAM-SHA-512": ["storecast-scram512", "scram512-secret"],
} as const;
type Mechanism = keyof typeof USERS;

let broker: Record<string, string>;

beforeAll(async () => {
  const { stdout } = await run("bash", [path.join(ROOT, "scripts/start-kafka-sasl.sh")], {
    cwd: ROOT,
    timeout: 300_000,
  });
  broker = Object.fromEntries(
    stdout
      .trim()
      .split("\n")
      .map((line) => [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)]),
  );
  expect(broker.KAFKA_SASL_BROKERS).toMatch(/^127\.0\.0\.1:\d+$/);
}, 300_000);

/** The app's environment for this broker: SASL with `mechanism`, over TLS when `tls`. */
function env(mechanism: Mechanism, opts: { tls?: boolean; password?: string } = {}): Record<string, string> {
  const [user, password] = USERS[mechanism];
  return {
    KAFKA_BROKERS: opts.tls ? broker.KAFKA_SASL_SSL_BROKERS! : broker.KAFKA_SASL_BROKERS!,
    KAFKA_TOPIC: uniqueName("sasl"),
    KAFKA_SASL_MECHANISM: mechanism,
    KAFKA_SASL_USERNAME: user,
    KAFKA_SASL_PASSWORD: opts.password ?? password,
    ...(opts.tls ? { KAFKA_SSL_CA_FILE: broker.KAFKA_SSL_CA_FILE! } : {}),
  };
}

describe("Kafka with SASL and TLS", () => {
  const open: SalesStream[] = [];
  const consumers: StreamConsumer[] = [];
  afterAll(async () => {
    for (const c of consumers) await c.stop().catch(() => {});
    for (const s of open) await s.close().catch(() => {});
  });

  /** Creates the topic, sends one record and reads it back through a consumer group. */
  async function roundTrip(environment: Record<string, string>): Promise<void> {
    const stream = openSalesStream(loadConfig(environment));
    open.push(stream);
    await stream.ensureTopic(1);
    const producer = await stream.producer();
    const value = `hello ${environment.KAFKA_SASL_MECHANISM}`;
    await producer.send([{ key: "k", value }]);
    await producer.close();
    const seen: string[] = [];
    const consumer = await stream.consumer(uniqueName("group"), {});
    consumers.push(consumer);
    await consumer.run(async (batch) => {
      for (const m of batch.messages) seen.push(m.value?.toString() ?? "");
    });
    await waitFor(`the record back at ${environment.KAFKA_BROKERS}`, () => seen.length > 0, 30_000);
    expect(seen).toEqual([value]);
    await consumer.stop();
  }

  it.each(Object.keys(USERS) as Mechanism[])("produces and consumes with SASL %s", async (mechanism) => {
    await roundTrip(env(mechanism));
  });

  it("produces and consumes over TLS, the broker checked against KAFKA_SSL_CA_FILE", async () => {
    await roundTrip(env("SCRAM-SHA-512", { tls: true }));
  });

  it("refuses a broker whose certificate the system's authorities did not sign", async () => {
    const environment: Record<string, string> = { ...env("SCRAM-SHA-512", { tls: true }), KAFKA_SSL: "true" };
    delete environment.KAFKA_SSL_CA_FILE;
    const stream = openSalesStream(loadConfig(environment));
    open.push(stream);
    await expect(stream.ensureTopic(1)).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });

  it("refuses a plain connection to a SASL listener (no credentials)", async () => {
    const stream = openSalesStream(loadConfig({ KAFKA_BROKERS: broker.KAFKA_SASL_BROKERS!, KAFKA_TOPIC: "nowhere" }));
    open.push(stream);
    await expect(stream.ensureTopic(1)).rejects.toThrow(/Kafka at 127\.0\.0\.1/);
  });

  it.each([
    ["PLAIN", /SASL PLAIN authentication failed/],
    ["SCRAM-SHA-256", /SASL SCRAM SHA256 authentication failed/],
  ] as const)("refuses a wrong %s password: the consumer exits 1 with one clear line", async (mechanism, message) => {
    const dir = tempDir("kafka-auth");
    const result = await runScript(
      "scripts/consume.ts",
      [],
      { ...env(mechanism, { password: "wrong-password" }), PGLITE_DIR: `${dir}/pglite`, LOG_LEVEL: "silent" },
      120_000,
    );
    expect(result.code).toBe(1);
    const lines = result.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^consume: Kafka at ${broker.KAFKA_SASL_BROKERS}: `));
    expect(lines[0]).toMatch(message);
    expect(lines[0]).not.toContain("wrong-password");
  });
});
