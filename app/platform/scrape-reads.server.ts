/**
 * Gauges read at scrape time (docs/decisions/0007): a time limit on a source, one read shared by the
 * gauges that share a query, and a gauge of one series that is absent, not 0, while its value is
 * unknown. A failing or late source is reported to `onError` and left out; the scrape always answers.
 * metrics.server.ts hands these its registry and its sources' onError.
 */
import { Gauge, type Registry } from "prom-client";

/** What a /metrics scrape may wait for a gauge's source (Redis, the database) before skipping it. */
export const COLLECT_TIMEOUT_MS = 2_000;

/** Resolves with `work`'s value, or rejects after `ms` (the late value is dropped). */
export async function within<T>(ms: number, work: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A gauge of one series read at each scrape, absent while its value is unknown (see `optionalGauge`). */
export interface OptionalGaugeConfig<L extends string> {
  name: string;
  help: string;
  /** The series' fixed labels (bounded, e.g. `{ window: "7d" }`); none for an unlabelled gauge. */
  labels?: Record<L, string>;
  /** The value now: null when unknown, undefined when its source is not set. */
  read: () => Promise<number | null> | undefined;
  /** Names the source when `read` fails (onError). */
  what: string;
  registers?: Registry[];
}

/** The scrape-time helpers on `registry`, reporting failures to `onError` with what failed. */
export function scrapeReads(registry: Registry, onError: (err: unknown, what: string) => void) {
  /**
   * One read of a source shared by the gauges one scrape collects together (one query for all): null
   * when the source is not set, fails (reported once) or does not answer within COLLECT_TIMEOUT_MS.
   */
  const sharedRead = <T>(what: string, source: () => (() => Promise<T>) | undefined) => {
    let inFlight: Promise<T | null> | undefined;
    return (): Promise<T | null> => {
      const read = source();
      if (!read) return Promise.resolve(null);
      inFlight ??= within(COLLECT_TIMEOUT_MS, read)
        .catch((err: unknown) => {
          onError(err, what);
          return null;
        })
        .finally(() => {
          inFlight = undefined;
        });
      return inFlight;
    };
  };

  /**
   * A gauge whose one series is absent, not 0, while its value is unknown (ADR 7): `read` answers null
   * or nothing, fails or is late. The series is remove()d at each scrape and set only when known:
   * reset() would leave an unlabelled gauge at 0.
   */
  const optionalGauge = <L extends string = never>(config: OptionalGaugeConfig<L>): Gauge<L> => {
    const labels = config.labels ?? ({} as Record<L, string>);
    return new Gauge<L>({
      name: config.name,
      help: config.help,
      labelNames: Object.keys(labels) as L[],
      registers: config.registers ?? [registry],
      async collect() {
        this.remove(labels);
        const pending = config.read();
        if (!pending) return;
        try {
          const value = await within(COLLECT_TIMEOUT_MS, () => pending);
          if (value !== null) this.set(labels, value);
        } catch (err) {
          onError(err, config.what);
        }
      },
    });
  };

  return { sharedRead, optionalGauge };
}
