import { scoreActuals, scoreSafely } from "../app/monitoring/scoring.server.js";
import { ingestMetrics } from "../app/platform/metrics.server.js";
import { ingestBatch, REJECT_CLASSES } from "../app/sales/ingest.server.js";
import type { SalesStream, StreamConsumer } from "../app/stream/port.js";
import type { BackgroundService, WorkerContext } from "./index.js";

export interface IngestConsumerOptions {
  /** How often the consumer-lag gauge is refreshed (default 15 s). */
  lagIntervalMs?: number;
  /** How often a summary line is logged when records arrived (default 60 s). */
  summaryIntervalMs?: number;
}

/**
 * The stream's ingest consumer: joins the consumer group (KAFKA_GROUP_ID) on the sales topic,
 * creating the topic when it is missing, and writes every batch through ingestBatch (validate,
 * upsert, rejects) before its offsets are committed, then scores the batch's actuals against the
 * forecasts in production for their days (app/monitoring). A failing write (the database is away) is
 * logged and retried on the same batch; a failing score is logged and skipped (the batch is kept and
 * committed); bad records never stop it. Stopping finishes the batch
 * in flight and commits it.
 */
export function ingestConsumer(
  ctx: WorkerContext,
  stream: SalesStream,
  opts: IngestConsumerOptions = {},
): BackgroundService {
  let consumer: StreamConsumer | undefined;
  const timers: NodeJS.Timeout[] = [];
  const totals = { batches: 0, ingested: 0, rejected: 0 };
  let reported = { ...totals };
  let lag: number | null = null;

  const refreshLag = async () => {
    try {
      lag = (await consumer?.lag()) ?? null;
      if (lag !== null) ingestMetrics.consumerLag.set(lag);
    } catch (err) {
      ctx.log.debug({ err }, "stream: cannot read the consumer lag");
    }
  };

  return {
    name: "ingest-consumer",
    async start() {
      const { config, db, log } = ctx;
      // Every reason class is exported from the start (as 0), so rate() works before the first reject.
      for (const reason of REJECT_CLASSES) ingestMetrics.recordsRejected.inc({ reason }, 0);
      await stream.ensureTopic(config.KAFKA_PARTITIONS);
      consumer = await stream.consumer(config.KAFKA_GROUP_ID, {
        onHandlerError: (err, batch, attempt) => {
          ingestMetrics.batchFailures.inc();
          log.warn(
            { err, partition: batch.partition, firstOffset: batch.messages[0]?.offset, attempt },
            "stream: writing a batch failed; it will be delivered again",
          );
        },
      });
      await consumer.run(async (batch) => {
        const end = ingestMetrics.batchSeconds.startTimer();
        const r = await ingestBatch(db, batch);
        end();
        await scoreSafely(log, "stream batch", () => scoreActuals(db, r.keys));
        ingestMetrics.recordsIngested.inc(r.ingested);
        for (const [reason, n] of Object.entries(r.rejectedBy)) ingestMetrics.recordsRejected.inc({ reason }, n);
        if (totals.batches === 0) {
          log.info(
            { topic: batch.topic, ingested: r.ingested, rejected: r.rejected },
            "stream: first records ingested",
          );
        }
        totals.batches++;
        totals.ingested += r.ingested;
        totals.rejected += r.rejected;
        log.debug(
          {
            partition: batch.partition,
            firstOffset: batch.messages[0]?.offset,
            records: batch.messages.length,
            ingested: r.ingested,
            rejected: r.rejected,
            unchanged: r.unchanged,
          },
          "stream: batch ingested",
        );
      });
      log.info(
        { stream: stream.kind, topic: stream.topic, groupId: config.KAFKA_GROUP_ID },
        "stream: ingest consumer running",
      );
      void refreshLag();
      timers.push(setInterval(() => void refreshLag(), opts.lagIntervalMs ?? 15_000));
      timers.push(
        setInterval(() => {
          if (totals.batches === reported.batches) return;
          log.info(
            {
              ingested: totals.ingested - reported.ingested,
              rejected: totals.rejected - reported.rejected,
              lag,
            },
            "stream: records ingested since the last report",
          );
          reported = { ...totals };
        }, opts.summaryIntervalMs ?? 60_000),
      );
      for (const t of timers) t.unref();
    },
    async stop() {
      for (const t of timers) clearInterval(t);
      await consumer?.stop();
    },
  };
}
