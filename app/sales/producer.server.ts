/**
 * The producer loop: cycles through source rows and sends each as today's record at a steady rate
 * (the reference system's one record every 10 s by default), forever or for `count` records. Used
 * by `npm run producer` (Kafka) and by the in-process producer service (embedded mode).
 */
import { todayDay } from "../days.js";
import type { StreamProducer } from "../stream/port.js";
import { generateStoreProfiles } from "./generator/profiles.js";
import { injectionEvents, parseInjections, streamAdjuster } from "./generator/store-events.js";
import { RowCycle, recordMessage, type SourceRow, todayRecord } from "./stream-records.js";

export interface ProduceOptions {
  /** Records per second (one every 10 s is 0.1). */
  ratePerSecond: number;
  /** Stop after this many records (default: until the signal aborts). */
  count?: number;
  signal?: AbortSignal;
  /** Where in the rows to begin (default 0). */
  startAt?: number;
  /** The clock that dates records (default Date.now). */
  now?: () => number;
  /** Records per send at most (default 1000): a fast rate sends in chunks. */
  maxChunk?: number;
  /** After each successful send, with the total so far. */
  onSent?: (sent: number) => void;
  /** Changes a row about to be sent as `day` (injected store events, streamAdjuster); default none. */
  adjust?: (row: SourceRow, day: number) => SourceRow;
  /** A failed send: it is retried (the same records) after `retryMs`. */
  onError?: (err: unknown) => void;
  retryMs?: number;
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Sends records until `count` is reached or `signal` aborts; returns how many were sent. Record k
 * (from 0) is due k / rate seconds after the start, so a slow send is caught up on, not skipped.
 */
export async function produceTodayRecords(
  producer: StreamProducer,
  rows: readonly SourceRow[],
  opts: ProduceOptions,
): Promise<number> {
  if (!(opts.ratePerSecond > 0)) throw new RangeError(`ratePerSecond: expected > 0, got ${opts.ratePerSecond}`);
  const cycle = new RowCycle(rows, opts.startAt ?? 0);
  const now = opts.now ?? Date.now;
  const maxChunk = opts.maxChunk ?? 1000;
  const limit = opts.count ?? Number.POSITIVE_INFINITY;
  const started = performance.now();
  let sent = 0;
  let pending: { key: string; value: string }[] = [];
  while (!opts.signal?.aborted && sent < limit) {
    const elapsed = performance.now() - started;
    const due = Math.min(Math.floor((elapsed * opts.ratePerSecond) / 1000) + 1, limit) - sent;
    if (pending.length === 0 && due > 0) {
      const day = todayDay(now());
      const adjust = opts.adjust;
      pending = cycle
        .take(Math.min(due, maxChunk))
        .map((row) => recordMessage(todayRecord(adjust ? adjust(row, day) : row, day)));
    }
    if (pending.length > 0) {
      try {
        await producer.send(pending);
        sent += pending.length;
        pending = [];
        opts.onSent?.(sent);
      } catch (err) {
        opts.onError?.(err);
        await pause(opts.retryMs ?? 1000, opts.signal);
      }
      continue;
    }
    await pause(Math.max(1, (sent * 1000) / opts.ratePerSecond - elapsed), opts.signal);
  }
  return sent;
}

/**
 * The producer's `adjust` for the injections of GENERATE_EVENTS over the generated stores (their
 * promo lifts from the same seed), so the injected changes go on in the streamed days; undefined
 * when there are none. Throws InjectionsError naming the bad field.
 */
export function injectedAdjuster(
  config: { GENERATE_EVENTS?: string; GENERATE_STORES: number; GENERATE_SEED: number },
  today = todayDay(),
): ((row: SourceRow, day: number) => SourceRow) | undefined {
  if (!config.GENERATE_EVENTS) return undefined;
  const events = injectionEvents(parseInjections(config.GENERATE_EVENTS, today), config.GENERATE_STORES);
  if (events.length === 0) return undefined;
  const profiles = generateStoreProfiles({ stores: config.GENERATE_STORES, seed: config.GENERATE_SEED });
  return streamAdjuster(events, (store) => profiles[store - 1]?.promoLift ?? 1);
}
