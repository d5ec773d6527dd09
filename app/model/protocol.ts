/**
 * What passes between the model pool (pool.server.ts, main thread) and a model thread
 * (thread.server.ts): the tasks and their results. Its own module so that each side imports the
 * contract, not the other side: the pool names the thread only by file URL, and the thread never
 * imports the pool. Types only.
 */
import type { ForecastPoint, HistoryDay, ModelConfig, PlanDay, StoredModel, TrainResult } from "./config.js";
import type { Predictor } from "./predictor.js";

/** One forecast from a compiled predictor (predictor.ts). */
export interface PredictItem {
  predictor: Predictor;
  days: PlanDay[];
}

export type ModelTask =
  | { type: "train"; history: HistoryDay[]; config: ModelConfig; future?: PlanDay[]; cv?: boolean }
  | { type: "predict"; model: StoredModel; days: PlanDay[] }
  /** Many forecasts in one task, so the messaging between threads is paid once per chunk. */
  | { type: "predictMany"; items: PredictItem[] };

export type ModelTaskResult = TrainResult | ForecastPoint[] | ForecastPoint[][];
