/**
 * A model thread (piscina worker): fits one series per task, and forecasts from stored models
 * through the predictor (predictor.ts, no WASM). Pure: no database or network; the only I/O is
 * loading the Prophet WASM once when the thread starts.
 */
import { compilePredictor, forecastWithPredictor } from "./predictor.js";
import { initProphet, trainModel } from "./prophet.server.js";
import type { ModelTask, ModelTaskResult } from "./protocol.js";

initProphet();

/** A throw fails this task only: piscina hands the error to the caller and keeps the thread. */
export default function run(task: ModelTask): ModelTaskResult {
  switch (task.type) {
    case "train":
      return trainModel(task.history, task.config, { future: task.future, cv: task.cv });
    case "predict":
      return forecastWithPredictor(compilePredictor(task.model), task.days);
    case "predictMany":
      return task.items.map((item) => forecastWithPredictor(item.predictor, item.days));
    default:
      throw new Error(`unknown model task: ${JSON.stringify((task as { type?: unknown }).type)}`);
  }
}
