/**
 * A model thread (piscina worker): fits and forecasts one series per task. Pure: no database or
 * network; the only I/O is loading the Prophet WASM once when the thread starts.
 */
import { workerData } from "node:worker_threads";
import { LRUCache } from "lru-cache";
import type { ForecastPoint, PlanDay, StoredModel } from "./config.js";
import { initProphet, type LoadedModel, loadModel, predict, trainModel } from "./prophet.server.js";
import type { ModelTask, ModelTaskResult, ModelThreadData } from "./protocol.js";

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
