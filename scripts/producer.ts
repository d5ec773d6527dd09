/**
 * `npm run producer`: streams "today's" sales records to Kafka, like the reference system's
 * producer: one JSON record every 10 s (STREAM_INTERVAL_MS), cycling through the stream file (the
 * newest 10 days held out of the history; any Rossmann-format file works), each dated today and
 * keyed by store, forever until stopped (Ctrl-C) or for --count records.
 *
 *   npm run producer [-- --interval 10000 | --rate 20] [--csv FILE] [--count N] [--load-history] [--ready-file F]
 *
 * With --load-history it first does what the reference system's producer does: on an empty
 * database (DATABASE_URL), load the history (HISTORY_CSV, or the generated data set, exactly as the
 * app's first start would), then stream. --ready-file F is created once the history is in and the
 * producer is connected (a container healthcheck: docker-compose.yml starts the app after it).
 *
 * Needs KAFKA_BROKERS (in embedded mode `npm start` runs the producer in-process instead). The
 * topic (KAFKA_TOPIC) is created with KAFKA_PARTITIONS partitions when missing. Progress goes to
 * stderr, the summary to stdout. Exit code 0 when stopped or done, 1 on an error (one line).
 */

import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { Command, InvalidArgumentError } from "commander";
import { formatDay, todayDay } from "../app/days.js";
import { ConfigError, loadConfig } from "../app/platform/config.server.js";
import { DatabaseUnreachableError } from "../app/platform/db.server.js";
import { createLogger } from "../app/platform/log.server.js";
import { MigrationError } from "../app/platform/migrate.server.js";
import { produceTodayRecords } from "../app/sales/producer.server.js";
import { readStreamSource, StreamSourceError, streamSourceFile } from "../app/sales/stream-source.server.js";
import { loadHistoryIfEmpty, openConfiguredDatabase, writeConfiguredData } from "../app/server/startup.server.js";
import { openSalesStream } from "../app/stream/open.server.js";
import { StreamUnavailableError } from "../app/stream/port.js";
import { integerOption } from "./cli-options.js";

interface CliOptions {
  interval?: number;
  rate?: number;
  csv?: string;
  count?: number;
  loadHistory?: boolean;
  readyFile?: string;
}

function rateOption(value: string): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0) || n > 1_000_000) {
    throw new InvalidArgumentError("expected records per second, more than 0 and at most 1000000.");
  }
  return n;
}

const program = new Command()
  .name("producer")
  .description("Stream today's sales records to Kafka (KAFKA_BROKERS, topic KAFKA_TOPIC).")
  .option(
    "--interval <ms>",
    "one record every <ms> milliseconds (default STREAM_INTERVAL_MS, 10000)",
    integerOption(1, 86_400_000),
  )
  .option("--rate <n>", "records per second instead (load tests), e.g. 20 or 0.5", rateOption)
  .option("--csv <file>", "Rossmann-format rows to cycle through (default STREAM_CSV or the generated stream file)")
  .option("--count <n>", "stop after <n> records (default: run until stopped)", integerOption(1, 1_000_000_000))
  .option(
    "--load-history",
    "first load the history into an empty database (DATABASE_URL), as the app's first start does",
  )
  .option("--ready-file <file>", "create <file> once the history is loaded and the producer is connected")
  .allowExcessArguments(false)
  .parse();

const err = (s: string) => process.stderr.write(`producer: ${s}\n`);
const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();

async function main(opts: CliOptions): Promise<void> {
  const config = loadConfig();
  if (!config.KAFKA_BROKERS) {
    throw new ConfigError(
      "KAFKA_BROKERS is not set: the producer streams to Kafka (without Kafka, `npm start` runs it in-process)",
    );
  }
  if (opts.loadHistory) {
    const db = await openConfiguredDatabase(config);
    try {
      const report = await loadHistoryIfEmpty(db, config, createLogger(config));
      err(report ? `history loaded: ${report.rowsLoaded} rows` : "history already loaded");
    } finally {
      await db.close();
    }
  }
  const file = opts.csv ?? streamSourceFile(config);
  // Loaded by another process (a Kubernetes job, an earlier container): the generated stream rows
  // are written here too, the same data set, when nothing else names the rows to stream.
  if (opts.loadHistory && !opts.csv && !config.STREAM_CSV && !config.HISTORY_CSV && !existsSync(file)) {
    await writeConfiguredData(config);
    err(`generated the stream rows in ${file}`);
  }
  const source = await readStreamSource(file).catch((e: unknown) => {
    if (e instanceof StreamSourceError && !opts.csv && !config.STREAM_CSV && /does not exist/.test(e.message)) {
      throw new StreamSourceError(
        `${e.message}: run \`npm start\` once or \`npm run generate-data\`, or pass --csv FILE`,
      );
    }
    throw e;
  });
  const rate = opts.rate ?? 1000 / (opts.interval ?? config.STREAM_INTERVAL_MS);
  const stream = openSalesStream(config);
  const abort = new AbortController();
  process.on("SIGINT", () => abort.abort());
  process.on("SIGTERM", () => abort.abort());
  const started = performance.now();
  let sent = 0;
  try {
    await stream.ensureTopic(config.KAFKA_PARTITIONS);
    const producer = await stream.producer();
    if (opts.readyFile) await writeFile(opts.readyFile, `${new Date().toISOString()}\n`);
    err(
      `streaming ${source.rows.length} rows of ${file} (${source.from}..${source.to}) as ${formatDay(todayDay())} ` +
        `to topic ${stream.topic} at ${config.KAFKA_BROKERS.join(",")}, ` +
        (rate >= 1 ? `${rate} records/s` : `one record every ${(1000 / rate / 1000).toFixed(rate >= 0.1 ? 0 : 1)} s`) +
        (opts.count ? `, ${opts.count} records` : ", until stopped (Ctrl-C)"),
    );
    let lastReport = performance.now();
    let failures = 0;
    sent = await produceTodayRecords(producer, source.rows, {
      ratePerSecond: rate,
      count: opts.count,
      signal: abort.signal,
      onSent: (n) => {
        sent = n;
        failures = 0;
        const now = performance.now();
        // Every record at a slow pace, a progress line every 5 s at a fast one.
        if (rate <= 1 || now - lastReport >= 5000) {
          lastReport = now;
          err(`sent ${n.toLocaleString("en-US")} records`);
        }
      },
      onError: (e) => {
        if (failures++ % 10 === 0) err(`send failed, retrying: ${oneLine((e as Error).message ?? String(e))}`);
      },
    });
    await producer.close();
  } finally {
    await stream.close().catch(() => {});
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `producer: sent ${sent.toLocaleString("en-US")} records to ${config.KAFKA_TOPIC} in ${seconds.toFixed(1)} s` +
      (seconds > 0 ? ` (${Math.round(sent / seconds).toLocaleString("en-US")}/s)` : ""),
  );
}

try {
  await main(program.opts<CliOptions>());
} catch (e) {
  const known = [ConfigError, StreamSourceError, StreamUnavailableError, DatabaseUnreachableError, MigrationError].some(
    (E) => e instanceof E,
  );
  err(known ? oneLine((e as Error).message) : ((e as Error).stack ?? String(e)));
  process.exitCode = 1;
}
