/**
 * A model thread (piscina worker): fits and forecasts one series per task. Pure: no database or
 * network; the only I/O is loading the Prophet WASM once when the thread starts.
 */
import { workerData } from "node:worker_threads";
import { LRUCache } from "lru-cache";
import type { ModelThreadData } from "./pool.server.js";
import {
  type ForecastPoint,
  type HistoryDay,
  initProphet,
  type LoadedModel,
  loadModel,
  type ModelConfig,
  type PlanDay,
  predict,
  type StoredModel,
  type TrainResult,
  trainModel,
} from "./prophet.server.js";

export type ModelTask =
  | { type: "train"; history: HistoryDay[]; config: ModelConfig; future?: PlanDay[]; cv?: boolean }
  /** `key` names an immutable model (a version id): the re-created model is kept for the next task with that key. */
  | { type: "predict"; model: StoredModel; days: PlanDay[]; key?: string };

export type ModelTaskResult = TrainResult | ForecastPoint[];

initProphet();

// Re-creating Prophet costs about a fifth of a 7-day forecast; serving traffic asks the same few
// hundred models again and again. Bounded because each entry holds WASM memory.
const cacheSize = (workerData as ModelThreadData | undefined)?.cacheSize ?? 0;
const loaded = cacheSize > 0 ? new LRUCache<string, LoadedModel>({ max: cacheSize, dispose: (m) => m.free() }) : null;

function predictCached(model: StoredModel, days: PlanDay[], key: string): ForecastPoint[] {
  if (!loaded) return predict(model, days);
  let m = loaded.get(key);
  if (!m) {
    m = loadModel(model);
    loaded.set(key, m);
  }
  return m.forecast(days);
}

/** A throw fails this task only: piscina hands the error to the caller and keeps the thread. */
export default function run(task: ModelTask): ModelTaskResult {
  switch (task.type) {
    case "train":
      return trainModel(task.history, task.config, { future: task.future, cv: task.cv });
    case "predict":
      return task.key === undefined ? predict(task.model, task.days) : predictCached(task.model, task.days, task.key);
    default:
      throw new Error(`unknown model task: ${JSON.stringify((task as { type?: unknown }).type)}`);
  }
}
