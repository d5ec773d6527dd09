/**
 * The model threads: a piscina pool running app/model/thread.server.ts, so fitting (CPU-bound, ~10-100 ms
 * a series) and forecasting never block the event loop. All database I/O stays on the main thread.
 * No request can hold the threads for long: tasks wait in a queue fair across clients
 * (fair-queue.ts) and piscina gets one a thread at a time; a batch runs in chunks of about
 * MAX_CHUNK_COST (a few ms each, however far ahead they forecast); a task still waiting when its client leaves is dropped, and one running longer
 * than taskTimeoutMs has its thread stopped (docs/decisions/0025).
 */
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as workerThreads from "node:worker_threads";
import Piscina from "piscina";
import {
  type ForecastPoint,
  type HistoryDay,
  insufficientHistoryFromMessage,
  type ModelConfig,
  type PlanDay,
  type StoredModel,
  type TrainResult,
} from "./config.js";
import { FairQueue, type QueueTicket } from "./fair-queue.js";
import { forecastCost } from "./predictor.js";
import type { ModelTask, ModelTaskResult, PredictItem } from "./protocol.js";

export type { PredictItem };

/** Who a task is for, and when to give up on it while it still waits (the client left). */
export interface TaskOptions {
  /**
   * The fair-share key (a user, a token or an address: the request's client key). Tasks without one
   * share the key BACKGROUND_CLIENT (jobs: training, the weekly batch).
   */
  client?: string;
  /** Aborted: the task leaves the queue and its promise rejects with ModelTaskCancelledError. */
  signal?: AbortSignal;
}

/** The fair-share key of tasks no client asked for (jobs). */
export const BACKGROUND_CLIENT = "background";

export interface ModelPoolStats {
  /** Tasks waiting for a thread, and running now. */
  queued: number;
  running: number;
  /** Threads alive now (one at least; the others stop when idle). */
  threadsAlive: number;
  /** Tasks that ended, by how, since the pool started. */
  finished: { ok: number; failed: number; cancelled: number; timedOut: number };
}

export interface ModelPool {
  /** Rejects with InsufficientHistoryError (the main thread's class) when the window is too thin. */
  train(
    history: HistoryDay[],
    config: ModelConfig,
    opts?: { future?: PlanDay[]; cv?: boolean },
    task?: TaskOptions,
  ): Promise<TrainResult>;
  /** Forecasts from a stored model, compiling its predictor in a thread (predictor.ts). */
  predict(model: StoredModel, days: PlanDay[], task?: TaskOptions): Promise<ForecastPoint[]>;
  /**
   * Forecasts from compiled predictors, in order. A big batch goes in chunks of about
   * MAX_CHUNK_COST (forecastCost) over every thread, a chunk a task; a throwing forecast fails its
   * chunk's promise, so the whole call.
   */
  predictMany(items: readonly PredictItem[], task?: TaskOptions): Promise<ForecastPoint[][]>;
  readonly threads: number;
  /** What waits and runs now, and what ended (the /metrics gauges, the budget tests). */
  stats(): ModelPoolStats;
  /** Lets queued tasks finish, then stops the threads. */
  close(): Promise<void>;
}

/** A task given up while it waited: its client left (the request's signal aborted). */
export class ModelTaskCancelledError extends Error {
  override name = "AbortError";
  constructor(cause?: unknown) {
    super("model task cancelled: the client left", { cause });
  }
}

/** A task that ran longer than the pool's taskTimeoutMs: its thread was stopped and replaced. */
export class ModelTaskTimeoutError extends Error {
  override name = "ModelTaskTimeoutError";
  constructor(readonly limitMs: number) {
    super(`model task stopped: it ran longer than ${limitMs} ms`);
  }
}

// Relative to this file, so the pool must be created from the source tree (server.ts, workers/,
// scripts), not from inside the Remix server bundle, which lives in build/.
const WORKER_FILE = fileURLToPath(new URL("./thread.server.ts", import.meta.url));

/**
 * execArgv for the threads, so they can load the TypeScript worker file. Threads inherit the parent's
 * execArgv, but that is not enough: before Node 22.14 (no `isInternalThread`) tsx's loader does not
 * register itself in worker threads even when `--import tsx` is inherited, and under Vitest (which
 * transforms its own imports, not threads') there is no tsx at all. Then each thread registers tsx
 * through its API first, from a `data:` module (no extra file to ship).
 */
export function workerExecArgv(execArgv: readonly string[] = process.execArgv): string[] | undefined {
  const inheritsTsx = execArgv.some((a) => a.includes("tsx"));
  if (inheritsTsx && "isInternalThread" in workerThreads) return undefined;
  // tsx's ESM API build: require.resolve would pick the CJS build (broken when imported), and Vitest
  // has no import.meta.resolve. The pool tests cover this path.
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve("tsx/package.json"));
  const api = pathToFileURL(path.join(tsxDir, "dist/esm/api/index.mjs")).href;
  const boot = `import { register } from ${JSON.stringify(api)}; register();`;
  return [...execArgv, "--import", `data:text/javascript,${encodeURIComponent(boot)}`];
}

/**
 * Errors cross the thread boundary by structured clone, which keeps the message but not the class:
 * InsufficientHistoryError is rebuilt from its exact message so `instanceof` works on this side.
 */
function rebuildError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const insufficient = insufficientHistoryFromMessage(err.message);
  if (!insufficient) return err;
  if (err.stack) insufficient.stack = err.stack.replace(/^[^\n]*/, `${insufficient.name}: ${insufficient.message}`);
  return insufficient;
}

export interface ModelPoolOptions {
  /** Default: one per core. */
  threads?: number;
  /** A task running longer than this is stopped, its thread replaced. Default: no limit (scripts). */
  taskTimeoutMs?: number;
  /**
   * Threads beyond the first stop after this long without a task, and start again when work comes
   * (a thread holds ~60 MB: its V8 heap, tsx, the compiled Prophet WASM). Default IDLE_THREAD_MS.
   */
  idleThreadMs?: number;
}

/** How long a thread beyond the first may idle before it stops (docs/decisions/0041). */
export const IDLE_THREAD_MS = 30_000;

/**
 * predictMany's chunks, in forecast cost (predictor.ts forecastCost: a forecast day ~30 us, more far
 * past the history): at least this much (~8 ms of work, against ~0.1 ms of messaging)...
 */
const MIN_CHUNK_COST = 256;
/**
 * ...at most this much (~15 ms of a thread), so a small task waits at most about that long for a
 * thread however large or far-reaching the batches before it...
 */
export const MAX_CHUNK_COST = 512;
/** ...and at least this many chunks per thread, so threads finishing early take more. */
const CHUNKS_PER_THREAD = 4;

/** A fit's cost in forecast days (its fair-queue charge): ~10-100 ms a fit, ~30 us a day. */
const FIT_POINTS_PER_DAY = 5;
const CV_FITS = 6;

/** Splits items (of cost `costs[i]`) into runs of about `target` cost, at least one item a run, in order. */
export function chunkByCost<T>(
  items: readonly T[],
  costs: readonly number[],
  target: number,
): { items: T[]; cost: number }[] {
  const chunks: { items: T[]; cost: number }[] = [];
  let current: { items: T[]; cost: number } = { items: [], cost: 0 };
  items.forEach((item, i) => {
    const cost = costs[i]!;
    if (current.items.length > 0 && current.cost + cost > target) {
      chunks.push(current);
      current = { items: [], cost: 0 };
    }
    current.items.push(item);
    current.cost += cost;
  });
  if (current.items.length > 0) chunks.push(current);
  return chunks;
}

/** The chunk size for a batch costing `cost` over `threads` threads. */
export function chunkTarget(cost: number, threads: number): number {
  return Math.min(MAX_CHUNK_COST, Math.max(MIN_CHUNK_COST, Math.ceil(cost / (threads * CHUNKS_PER_THREAD))));
}

interface Waiting {
  task: ModelTask;
  resolve: (value: ModelTaskResult) => void;
  reject: (err: unknown) => void;
}

export function createModelPool(opts: ModelPoolOptions = {}): ModelPool {
  const threads = Math.max(1, opts.threads ?? os.availableParallelism());
  const execArgv = workerExecArgv();
  // One thread starts at once and stays, so a request never waits for a thread's start-up (tsx, the
  // WASM compile: seconds, far more than a fit). The others start when work waits for them and stop
  // when idle, giving their memory back; a train-all or a batch keeps them busy while it lasts.
  const piscina = new Piscina<ModelTask, ModelTaskResult>({
    filename: WORKER_FILE,
    minThreads: 1,
    maxThreads: threads,
    idleTimeout: opts.idleThreadMs ?? IDLE_THREAD_MS,
    ...(execArgv ? { execArgv } : {}),
  });
  // Piscina gets at most one task per thread: what waits, waits here, in fair order across clients.
  const waiting = new FairQueue<Waiting>();
  let running = 0;
  const finished = { ok: 0, failed: 0, cancelled: 0, timedOut: 0 };
  let idle: (() => void) | undefined;

  const start = (w: Waiting) => {
    running++;
    // The client leaving does not stop a running task (a chunk is short); the timeout does.
    const limitMs = opts.taskTimeoutMs;
    const timeout = limitMs ? AbortSignal.timeout(limitMs) : undefined;
    piscina
      .run(w.task, timeout ? { signal: timeout } : {})
      .then(
        (result) => {
          finished.ok++;
          w.resolve(result);
        },
        (err: unknown) => {
          if (limitMs && timeout?.aborted) {
            finished.timedOut++;
            w.reject(new ModelTaskTimeoutError(limitMs));
          } else {
            finished.failed++;
            w.reject(rebuildError(err));
          }
        },
      )
      .finally(() => {
        running--;
        pump();
      });
  };
  const pump = () => {
    while (running < threads) {
      const next = waiting.shift();
      if (!next) break;
      start(next);
    }
    if (running === 0 && waiting.size === 0) idle?.();
  };

  /** Queues tasks for one client; the signal drops those still waiting (one listener a call). */
  const runAll = (tasks: { task: ModelTask; cost: number }[], o: TaskOptions = {}): Promise<ModelTaskResult[]> => {
    const signal = o.signal;
    if (signal?.aborted) {
      finished.cancelled += tasks.length;
      return Promise.reject(new ModelTaskCancelledError(signal.reason));
    }
    const client = o.client ?? BACKGROUND_CLIENT;
    const tickets: QueueTicket[] = [];
    const all = Promise.all(
      tasks.map(
        ({ task, cost }) =>
          new Promise<ModelTaskResult>((resolve, reject) => {
            tickets.push(waiting.push(client, cost, { task, resolve, reject }));
          }),
      ),
    );
    pump();
    if (!signal) return all;
    let onAbort = () => {};
    const cancelled = new Promise<never>((_, reject) => {
      onAbort = () => {
        // A task dropped here never settles its own promise: the race below answers for it.
        for (const t of tickets) if (waiting.remove(t)) finished.cancelled++;
        reject(new ModelTaskCancelledError(signal.reason));
      };
    });
    signal.addEventListener("abort", onAbort, { once: true });
    return Promise.race([all, cancelled]).finally(() => signal.removeEventListener("abort", onAbort));
  };
  const run = async <R extends ModelTaskResult>(task: ModelTask, cost: number, o?: TaskOptions): Promise<R> =>
    (await runAll([{ task, cost }], o))[0] as R;

  const predictMany = async (items: readonly PredictItem[], o?: TaskOptions): Promise<ForecastPoint[][]> => {
    if (items.length === 0) return [];
    const costs = items.map((item) => forecastCost(item.predictor, item.days));
    const total = costs.reduce((a, b) => a + b, 0);
    const chunks = chunkByCost(items, costs, chunkTarget(total, threads)).map((chunk) => ({
      task: { type: "predictMany", items: chunk.items } as const,
      cost: chunk.cost,
    }));
    return ((await runAll(chunks, o)) as ForecastPoint[][][]).flat();
  };
  return {
    threads,
    train: (history, config, o = {}, t) =>
      run<TrainResult>(
        { type: "train", history, config, ...o },
        history.length * FIT_POINTS_PER_DAY * (o.cv === false ? 1 : CV_FITS),
        t,
      ),
    predict: (model, days, t) => run<ForecastPoint[]>({ type: "predict", model, days }, Math.max(1, days.length), t),
    predictMany,
    stats: () => ({ queued: waiting.size, running, threadsAlive: piscina.threads.length, finished: { ...finished } }),
    close: async () => {
      // Queued tasks still run (as piscina's close lets them), then the threads stop.
      if (running > 0 || waiting.size > 0) await new Promise<void>((resolve) => (idle = resolve));
      await piscina.close();
    },
  };
}
