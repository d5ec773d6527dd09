/**
 * A model thread (piscina worker): fits and forecasts one series per task. Pure: no database or
 * network; the only I/O is loading the Prophet WASM once when the thread starts.
 */
import {
  type ForecastPoint,
  type HistoryDay,
  initProphet,
  type ModelConfig,
  type PlanDay,
  predict,
  type StoredModel,
  type TrainResult,
  trainModel,
} from "../app/model.js";

export type ModelTask =
  | { type: "train"; history: HistoryDay[]; config: ModelConfig; future?: PlanDay[]; cv?: boolean }
  | { type: "predict"; model: StoredModel; days: PlanDay[] };

export type ModelTaskResult = TrainResult | ForecastPoint[];

initProphet();

/** A throw fails this task only: piscina hands the error to the caller and keeps the thread. */
export default function run(task: ModelTask): ModelTaskResult {
  switch (task.type) {
    case "train":
      return trainModel(task.history, task.config, { future: task.future, cv: task.cv });
    case "predict":
      return predict(task.model, task.days);
    default:
      throw new Error(`unknown model task: ${JSON.stringify((task as { type?: unknown }).type)}`);
  }
}
