/**
 * The stream's state as a page shows it: read at most once per `ttlMs` per group (a page load
 * never reaches the brokers itself when a recent read exists; concurrent loads share one read),
 * bounded by `timeoutMs` (kafkajs retries a broker that is down for many seconds), and never a
 * throw: a failed or slow read is a snapshot with its error, cached like a good one.
 */
import type { SalesStream, StreamState } from "../stream/port.js";

export type StateSnapshot =
  | { ok: true; state: StreamState; readAt: number }
  | { ok: false; error: string; readAt: number };

export interface SnapshotOptions {
  /** How long a read is reused (default 5 s). */
  ttlMs?: number;
  /** How long a read may take before the snapshot says the stream did not answer (default 2 s). */
  timeoutMs?: number;
  now?: () => number;
}

const messageOf = (err: unknown) => (err instanceof Error ? err.message || err.name : String(err));

export class StreamStateSnapshots {
  private readonly entries = new Map<string, { startedAt: number; snapshot: Promise<StateSnapshot> }>();
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(
    private readonly stream: Pick<SalesStream, "state" | "kind">,
    options: SnapshotOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.now = options.now ?? Date.now;
  }

  read(groupId: string): Promise<StateSnapshot> {
    const now = this.now();
    const cached = this.entries.get(groupId);
    if (cached && now - cached.startedAt < this.ttlMs) return cached.snapshot;
    const snapshot = this.fresh(groupId);
    this.entries.set(groupId, { startedAt: now, snapshot });
    return snapshot;
  }

  private async fresh(groupId: string): Promise<StateSnapshot> {
    let timer: NodeJS.Timeout | undefined;
    const what = this.stream.kind === "kafka" ? "Kafka" : "the stream";
    const timeout = new Promise<StateSnapshot>((resolve) => {
      timer = setTimeout(
        () => resolve({ ok: false, error: `${what} did not answer within ${this.timeoutMs} ms`, readAt: this.now() }),
        this.timeoutMs,
      );
    });
    try {
      return await Promise.race([
        this.stream.state(groupId).then(
          (state): StateSnapshot => ({ ok: true, state, readAt: this.now() }),
          (err: unknown): StateSnapshot => ({ ok: false, error: messageOf(err), readAt: this.now() }),
        ),
        timeout,
      ]);
    } finally {
      clearTimeout(timer);
    }
  }
}

const perStream = new WeakMap<object, StreamStateSnapshots>();

/** The one snapshot cache of `stream` in this process (so every request shares it). */
export function stateSnapshots(
  stream: Pick<SalesStream, "state" | "kind">,
  options?: SnapshotOptions,
): StreamStateSnapshots {
  let s = perStream.get(stream);
  if (!s) {
    s = new StreamStateSnapshots(stream, options);
    perStream.set(stream, s);
  }
  return s;
}
