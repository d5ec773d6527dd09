/**
 * Prometheus metrics (prom-client): one registry for the process, which the /metrics route
 * exposes. Modules register their metrics here.
 *
 * The registry is kept on globalThis: the Remix server build bundles its own copy of this module
 * (routes import it from build/server), while server.ts and the workers import the source through
 * tsx. Both copies must count into the same metrics, and a dev-server reload must not register
 * them twice.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import { REJECT_CLASSES } from "./ingest.server.js";

function createMetrics() {
  const registry = new Registry();
  const ingest = {
    recordsIngested: new Counter({
      name: "storecast_stream_records_ingested_total",
      help: "Valid sales records consumed from the stream and upserted into rossman_sales (redeliveries count again).",
      registers: [registry],
    }),
    recordsRejected: new Counter({
      name: "storecast_stream_records_rejected_total",
      help: "Invalid sales records written to stream_rejects, by reason class.",
      labelNames: ["reason"] as const,
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: "storecast_stream_batch_duration_seconds",
      help: "Time to validate a batch and commit its database transaction (successful batches).",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    batchFailures: new Counter({
      name: "storecast_stream_batch_failures_total",
      help: "Batches whose database write failed; each is delivered again after a backoff.",
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: "storecast_stream_consumer_lag",
      help: "Messages in the sales topic not yet committed by the ingest consumer group.",
      registers: [registry],
    }),
  };
  // Every reason class is exported from the start (as 0), so rate() works before the first reject.
  for (const reason of REJECT_CLASSES) ingest.recordsRejected.inc({ reason }, 0);
  return { registry, ingest };
}

const KEY = Symbol.for("storecast.metrics");
const holder = globalThis as { [KEY]?: ReturnType<typeof createMetrics> };
holder[KEY] ??= createMetrics();
const metrics = holder[KEY];

/** The process's registry: `await registry.metrics()` is the /metrics body (`registry.contentType`). */
export const registry: Registry = metrics.registry;

/** The sales stream's ingest consumer (workers/ingest-consumer.ts). */
export const ingestMetrics = metrics.ingest;
