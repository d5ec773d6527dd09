/**
 * The model threads: a piscina pool running app/model/thread.server.ts, so fitting (CPU-bound, ~10-100 ms
 * a series) and forecasting never block the event loop. All database I/O stays on the main thread.
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
import type { ModelTask, ModelTaskResult, PredictItem } from "./protocol.js";

export type { PredictItem };

export interface ModelPool {
  /** Rejects with InsufficientHistoryError (the main thread's class) when the window is too thin. */
  train(history: HistoryDay[], config: ModelConfig, opts?: { future?: PlanDay[]; cv?: boolean }): Promise<TrainResult>;
  /** Forecasts from a stored model, compiling its predictor in a thread (predictor.ts). */
  predict(model: StoredModel, days: PlanDay[]): Promise<ForecastPoint[]>;
  /**
   * Forecasts from compiled predictors, in order. A big batch goes in chunks over every thread, a
   * chunk a task; a throwing forecast fails its chunk's promise, so the whole call.
   */
  predictMany(items: readonly PredictItem[]): Promise<ForecastPoint[][]>;
  readonly threads: number;
  /** Lets queued tasks finish, then stops the threads. */
  close(): Promise<void>;
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
}

/** predictMany's chunks: at least this many forecasts (~10 ms of work, against ~0.1 ms of messaging)... */
const MIN_CHUNK = 64;
/** ...and at least this many chunks per thread, so threads finishing early take more. */
const CHUNKS_PER_THREAD = 4;

export function createModelPool(opts: ModelPoolOptions = {}): ModelPool {
  const threads = Math.max(1, opts.threads ?? os.availableParallelism());
  const execArgv = workerExecArgv();
  // Every thread starts at once and stays: a thread's start-up (tsx, WASM compile) costs far more than a fit.
  const piscina = new Piscina<ModelTask, ModelTaskResult>({
    filename: WORKER_FILE,
    minThreads: threads,
    maxThreads: threads,
    ...(execArgv ? { execArgv } : {}),
  });
  const run = async <R extends ModelTaskResult>(task: ModelTask): Promise<R> => {
    try {
      return (await piscina.run(task)) as R;
    } catch (err) {
      throw rebuildError(err);
    }
  };
  const predictMany = async (items: readonly PredictItem[]): Promise<ForecastPoint[][]> => {
    const size = Math.max(MIN_CHUNK, Math.ceil(items.length / (threads * CHUNKS_PER_THREAD)));
    const chunks: Promise<ForecastPoint[][]>[] = [];
    for (let i = 0; i < items.length; i += size) {
      chunks.push(run<ForecastPoint[][]>({ type: "predictMany", items: items.slice(i, i + size) }));
    }
    return (await Promise.all(chunks)).flat();
  };
  return {
    threads,
    train: (history, config, o = {}) => run<TrainResult>({ type: "train", history, config, ...o }),
    predict: (model, days) => run<ForecastPoint[]>({ type: "predict", model, days }),
    predictMany,
    close: () => piscina.close(),
  };
}
