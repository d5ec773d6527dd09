/**
 * What passes between the model pool (pool.server.ts, main thread) and a model thread
 * (thread.server.ts): the tasks, their results and the data each thread starts with. Its own module
 * so that each side imports the contract, not the other side: the pool names the thread only by file
 * URL, and the thread never imports the pool. Types only.
 */
import type { ForecastPoint, HistoryDay, ModelConfig, PlanDay, StoredModel, TrainResult } from "./config.js";

export type ModelTask =
  | { type: "train"; history: HistoryDay[]; config: ModelConfig; future?: PlanDay[]; cv?: boolean }
  /** `key` names an immutable model (a version id): the re-created model is kept for the next task with that key. */
  | { type: "predict"; model: StoredModel; days: PlanDay[]; key?: string };

export type ModelTaskResult = TrainResult | ForecastPoint[];

/** piscina's workerData for every thread. */
export interface ModelThreadData {
  /** Re-created models the thread keeps for keyed forecasts; 0 keeps none. */
  cacheSize: number;
}
