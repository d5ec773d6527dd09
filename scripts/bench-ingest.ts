/**
 * Benchmarks stream ingestion on the real services: Kafka (KAFKA_BROKERS or --brokers) and
 * Postgres (DATABASE_URL or --postgres).
 *
 *   npm run bench:ingest [-- --records 200000] [--partitions 3] [--latency-rate 20] [--latency-seconds 30]
 *
 * 1. Throughput: produces --records records (1% invalid, the rest each a distinct store and day)
 *    into a new topic as fast as it can, then starts the ingest consumer on the backlog and measures
 *    consume-to-commit throughput: records / (last offset commit - first batch received), the
 *    sustained rate; the rate including the group join is shown too. Target: >= 10,000 records/s.
 * 2. Latency: with the consumer running, sends one probe record at a time at --latency-rate per
 *    second for --latency-seconds (the default 1 per 10 s would give too few samples) and measures
 *    produce to row visible: from just before the send to the moment a separate connection polling
 *    every 5 ms sees the row. Reports p50, p99 and max.
 *
 * Postgres runs in a scratch schema dropped afterwards; the topic is deleted afterwards.
 * Exit code 0 when the throughput target is met and every record landed, 1 otherwise.
 */
import { randomBytes } from "node:crypto";
import { Command, InvalidArgumentError } from "commander";
import pg from "pg";
import { formatDay, isoWeekday, todayDay } from "../app/days.js";
import { openDatabase } from "../app/platform/db.server.js";
import { ingestBatch } from "../app/sales/ingest.server.js";
import { KafkaStream } from "../app/stream/kafka.server.js";
import type { OutgoingMessage } from "../app/stream/port.js";
import { withSearchPath } from "../tests/support/databases.js";
import { percentile } from "./bench-server.js";
import { integerOption } from "./cli-options.js";

const TARGET_RECORDS_PER_S = 10_000;

interface CliOptions {
  brokers?: string;
  postgres?: string;
  records: number;
  partitions: number;
  latencyRate: number;
  latencySeconds: number;
}

const log = (s: string) => process.stderr.write(`bench-ingest: ${s}\n`);
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

/** `n` records: every 100th not JSON, the rest for distinct (store, day) keys, 1,115 stores a day. */
function workload(n: number): { messages: OutgoingMessage[]; invalid: number } {
  const messages: OutgoingMessage[] = [];
  const today = todayDay();
  let invalid = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const store = (i % 1115) + 1;
    if (i % 100 === 99) {
      messages.push({ key: String(store), value: `not json #${i}` });
      invalid++;
      continue;
    }
    const day = today - Math.floor(k / 1115);
    const kStore = (k % 1115) + 1;
    k++;
    messages.push({
      key: String(kStore),
      value: JSON.stringify({
        store: kStore,
        dayofweek: isoWeekday(day),
        date: formatDay(day),
        sales: 4000 + (i % 5000),
        customers: 400 + (i % 500),
        open: 1,
        promo: i % 2,
        stateholiday: "0",
        schoolholiday: 0,
        productname: "product_A",
      }),
    });
  }
  return { messages, invalid };
}

async function main(opts: CliOptions): Promise<number> {
  const brokers = (opts.brokers ?? process.env.KAFKA_BROKERS ?? "").split(",").filter(Boolean);
  const postgres = opts.postgres ?? (process.env.DATABASE_URL || undefined);
  if (brokers.length === 0) throw new Error("no Kafka: set KAFKA_BROKERS or pass --brokers host:port");
  if (!postgres) throw new Error("no Postgres: set DATABASE_URL or pass --postgres URL");

  const suffix = randomBytes(4).toString("hex");
  const schema = `storecast_bench_ingest_${suffix}`;
  const topic = `storecast-bench-${suffix}`;
  const admin = new pg.Client({ connectionString: postgres, connectionTimeoutMillis: 5000 });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = withSearchPath(postgres, schema);
  const db = await openDatabase({ databaseUrl: url });
  const stream = new KafkaStream({ brokers, topic, clientId: "storecast-bench" });
  const watcher = new pg.Client({ connectionString: url });
  await watcher.connect();
  try {
    await stream.ensureTopic(opts.partitions);
    const producer = await stream.producer();

    // 1. Produce the backlog as fast as possible.
    const { messages, invalid } = workload(opts.records);
    const valid = opts.records - invalid;
    const produceStart = performance.now();
    const CHUNK = 5000;
    for (let i = 0; i < messages.length; i += CHUNK) await producer.send(messages.slice(i, i + CHUNK));
    const produceSeconds = (performance.now() - produceStart) / 1000;
    log(
      `produced ${fmt(opts.records)} records in ${produceSeconds.toFixed(2)} s (${fmt(opts.records / produceSeconds)}/s)`,
    );

    // 2. Consume the backlog into Postgres.
    let committed = 0;
    let batches = 0;
    let firstBatch = 0;
    let lastCommit = 0;
    const groupId = `storecast-bench-${suffix}`;
    const consumer = await stream.consumer(groupId, {
      onCommit: (info) => {
        committed += info.messages;
        lastCommit = performance.now();
      },
    });
    const runStart = performance.now();
    await consumer.run(async (batch) => {
      if (firstBatch === 0) firstBatch = performance.now();
      batches++;
      await ingestBatch(db, batch);
    });
    const deadline = Date.now() + 600_000;
    while (committed < opts.records) {
      if (Date.now() > deadline) throw new Error(`only ${committed} of ${opts.records} records committed after 10 min`);
      await new Promise((r) => setTimeout(r, 20));
    }
    // Snapshots: the latency run below commits (and counts) more batches.
    const consumeSeconds = (lastCommit - firstBatch) / 1000;
    const backlogBatches = batches;
    const sustained = opts.records / consumeSeconds;
    const withJoin = opts.records / ((lastCommit - runStart) / 1000);
    const [counts] = (
      await watcher.query<{ sales: number; rejects: number }>(
        "SELECT (SELECT count(*)::int FROM rossman_sales) AS sales, (SELECT count(*)::int FROM stream_rejects) AS rejects",
      )
    ).rows;
    const complete = counts?.sales === valid && counts?.rejects === invalid;
    log(
      `consumed ${fmt(committed)} records in ${backlogBatches} batches: ${fmt(sustained)}/s sustained, ${fmt(withJoin)}/s with the group join`,
    );

    // 3. End-to-end latency at a steady rate, consumer running.
    const probes = Math.max(1, Math.round(opts.latencyRate * opts.latencySeconds));
    const sentAt = new Map<number, number>();
    const seenAt = new Map<number, number>();
    let polling = true;
    let lastId = 0;
    const poller = (async () => {
      while (polling) {
        const { rows } = await watcher.query<{ id: number; store: number }>(
          "SELECT id, store FROM rossman_sales WHERE id > $1 AND productname = 'latency_probe' ORDER BY id",
          [lastId],
        );
        const now = performance.now();
        for (const r of rows) {
          lastId = Math.max(lastId, r.id);
          if (!seenAt.has(r.store)) seenAt.set(r.store, now);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const today = formatDay(todayDay());
    const latencyStart = performance.now();
    for (let i = 0; i < probes; i++) {
      const due = latencyStart + (i * 1000) / opts.latencyRate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const store = 1_000_000 + i;
      sentAt.set(store, performance.now());
      await producer.send([
        {
          key: String(store),
          value: JSON.stringify({
            store,
            dayofweek: isoWeekday(todayDay()),
            date: today,
            sales: i,
            customers: 1,
            open: 1,
            promo: 0,
            stateholiday: "0",
            schoolholiday: 0,
            productname: "latency_probe",
          }),
        },
      ]);
    }
    const probeDeadline = Date.now() + 60_000;
    while (seenAt.size < probes && Date.now() < probeDeadline) await new Promise((r) => setTimeout(r, 20));
    polling = false;
    await poller;
    const latencies = [...sentAt].flatMap(([store, t]) => {
      const seen = seenAt.get(store);
      return seen === undefined ? [] : [seen - t];
    });
    latencies.sort((a, b) => a - b);
    await consumer.stop();
    await producer.close();

    const pass = sustained >= TARGET_RECORDS_PER_S && complete && latencies.length === probes;
    const lines = [
      `records                     ${fmt(opts.records)} (${fmt(valid)} valid with distinct keys, ${fmt(invalid)} invalid)`,
      `topic                       ${opts.partitions} partitions, Kafka at ${brokers.join(",")}`,
      `produce (backlog)           ${produceSeconds.toFixed(2)} s, ${fmt(opts.records / produceSeconds)} records/s`,
      `consume to commit           ${fmt(sustained)} records/s sustained (first batch to last commit, ${consumeSeconds.toFixed(2)} s)`,
      `                            ${fmt(withJoin)} records/s including the group join`,
      `batches                     ${backlogBatches} (${fmt(opts.records / Math.max(1, backlogBatches))} records on average)`,
      `in Postgres                 ${fmt(counts?.sales ?? 0)} rows, ${fmt(counts?.rejects ?? 0)} rejects: ${complete ? "complete" : "INCOMPLETE"}`,
      `latency produce->visible    p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, ` +
        `max ${(latencies.at(-1) ?? Number.NaN).toFixed(1)} ms (${latencies.length}/${probes} probes at ${opts.latencyRate}/s for ${opts.latencySeconds} s)`,
      `target                      >= ${fmt(TARGET_RECORDS_PER_S)} records/s: ${pass ? "pass" : "FAIL"}`,
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
    return pass ? 0 : 1;
  } finally {
    await watcher.end().catch(() => {});
    const kafkaAdmin = stream.kafka.admin();
    await kafkaAdmin
      .connect()
      .then(() => kafkaAdmin.deleteTopics({ topics: [topic] }))
      .catch(() => {})
      .finally(() => kafkaAdmin.disconnect());
    await stream.close().catch(() => {});
    await db.close().catch(() => {});
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
    await admin.end();
  }
}

function rate(value: string): number {
  const n = Number(value);
  if (!(n > 0) || n > 10_000)
    throw new InvalidArgumentError("expected records per second, more than 0, at most 10000.");
  return n;
}

const program = new Command()
  .name("bench-ingest")
  .description("Measure stream ingestion throughput and end-to-end latency on Kafka and Postgres.")
  .option("--brokers <list>", "Kafka brokers host:port,... (default: KAFKA_BROKERS)")
  .option("--postgres <url>", "Postgres URL (default: DATABASE_URL)")
  .option("--records <n>", "records in the throughput run", integerOption(1000, 10_000_000), 200_000)
  .option("--partitions <n>", "partitions of the benchmark topic", integerOption(1, 64), 3)
  .option("--latency-rate <n>", "probe records per second in the latency run", rate, 20)
  .option("--latency-seconds <n>", "length of the latency run", integerOption(1, 3600), 30)
  .allowExcessArguments(false);

program.parse();
try {
  process.exitCode = await main(program.opts<CliOptions>());
} catch (err) {
  process.stderr.write(`bench-ingest: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
