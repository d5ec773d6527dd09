import type { JobKind } from "./port.js";

/** How a failed job is tried again. `attempts` counts the first run. */
export interface RetryPolicy {
  attempts: number;
  backoff: { type: "fixed" | "exponential"; delayMs: number };
}

/**
 * Retries per job kind, one table for both adapters (BullMQ's `attempts` and `backoff` job
 * options; the in-process queue's timers). Exponential: delay x 2^(retry - 1), as BullMQ.
 */
export const JOB_RETRIES: Readonly<Record<JobKind, RetryPolicy>> = {
  // A whole-chain retrain is long and mostly fails for reasons a retry will not fix: once, after 30 s.
  "train-all": { attempts: 2, backoff: { type: "fixed", delayMs: 30_000 } },
  "train-one": { attempts: 2, backoff: { type: "exponential", delayMs: 2_000 } },
  // A helper of a train-all: what it leaves undone, the train-all itself picks up; one retry.
  "train-chunk": { attempts: 2, backoff: { type: "exponential", delayMs: 2_000 } },
  "batch-forecast": { attempts: 3, backoff: { type: "exponential", delayMs: 5_000 } },
  "ingest-daily": { attempts: 3, backoff: { type: "exponential", delayMs: 5_000 } },
  // Deletes are idempotent: a retry finishes what a failed attempt left.
  retention: { attempts: 3, backoff: { type: "exponential", delayMs: 30_000 } },
  "drift-check": { attempts: 3, backoff: { type: "exponential", delayMs: 30_000 } },
  "anomaly-scan": { attempts: 3, backoff: { type: "exponential", delayMs: 30_000 } },
};

/** Adapter options for tests (a contract suite cannot wait 30 s for a retry). */
export interface RetryOverrides {
  /** Replaces the table's policy for these kinds. */
  retries?: Partial<Record<JobKind, RetryPolicy>>;
  /** Multiplies every backoff delay (e.g. 0.001). Default 1. */
  retryDelayScale?: number;
}

/** The policy a kind runs with, after overrides and scaling. */
export function retryPolicy(kind: JobKind, overrides: RetryOverrides = {}): RetryPolicy {
  const policy = overrides.retries?.[kind] ?? JOB_RETRIES[kind];
  const scale = overrides.retryDelayScale ?? 1;
  return {
    attempts: policy.attempts,
    backoff: { type: policy.backoff.type, delayMs: Math.max(0, Math.round(policy.backoff.delayMs * scale)) },
  };
}

/**
 * An error a retry cannot fix (an unknown series, an invalid request): it carries `permanent: true`
 * (ValidationError, NotFoundError), and both adapters fail its job at once.
 */
export function isPermanentFailure(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { permanent?: unknown }).permanent === true;
}

/** The wait before retry number `retry` (1 = the second attempt). */
export function retryDelay(policy: RetryPolicy, retry: number): number {
  const { type, delayMs } = policy.backoff;
  return type === "fixed" ? delayMs : Math.round(delayMs * 2 ** (retry - 1));
}
