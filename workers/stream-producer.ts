import { injectedAdjuster, produceTodayRecords } from "../app/sales/producer.server.js";
import { readStreamSource, StreamSourceError, streamSourceFile } from "../app/sales/stream-source.server.js";
import type { SalesStream } from "../app/stream/port.js";
import type { BackgroundService, WorkerContext } from "./index.js";

/**
 * The producer inside the server (STREAM_PRODUCER; on by default in embedded mode): sends one of
 * "today's" records every STREAM_INTERVAL_MS, cycling through the stream file, so the live stream
 * flows with no Kafka and no separate process. Without a stream file it logs why and stays idle.
 */
export function streamProducer(ctx: WorkerContext, stream: SalesStream): BackgroundService {
  const abort = new AbortController();
  let running: Promise<unknown> = Promise.resolve();
  return {
    name: "stream-producer",
    async start() {
      const { config, log } = ctx;
      const file = streamSourceFile(config);
      let source: Awaited<ReturnType<typeof readStreamSource>>;
      try {
        source = await readStreamSource(file);
      } catch (err) {
        if (!(err instanceof StreamSourceError)) throw err;
        log.warn(`stream producer not started: ${err.message} (set STREAM_CSV to a Rossmann-format file)`);
        return;
      }
      await stream.ensureTopic(config.KAFKA_PARTITIONS);
      const producer = await stream.producer();
      log.info(
        { file, rows: source.rows.length, intervalMs: config.STREAM_INTERVAL_MS, topic: stream.topic },
        "stream producer: sending today's records",
      );
      let failures = 0;
      // Injected store events (GENERATE_EVENTS) go on in the streamed days.
      const adjust = injectedAdjuster(config);
      running = produceTodayRecords(producer, source.rows, {
        ...(adjust ? { adjust } : {}),
        ratePerSecond: 1000 / config.STREAM_INTERVAL_MS,
        signal: abort.signal,
        onSent: () => {
          failures = 0;
        },
        onError: (err) => {
          if (failures++ % 30 === 0) log.warn({ err }, "stream producer: send failed; retrying");
        },
      })
        .catch((err: unknown) => log.error({ err }, "stream producer stopped on an error"))
        .finally(() => producer.close());
    },
    async stop() {
      abort.abort();
      await running;
    },
  };
}
