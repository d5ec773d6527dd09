/**
 * What a train-all run trains, fixed when it starts and kept in the run's params, so a resumed run
 * (or a helper on another replica) trains the same model kind on the same data window.
 */
import { formatDay, parseDay } from "../days.js";
import { modelConfig } from "../model/config.js";

export interface TrainWindow {
  config: ReturnType<typeof modelConfig>;
  /** The newest sales day when the run started (null: no history). */
  newest: number | null;
}

/** The window as the run's params. */
export function windowParams(w: TrainWindow) {
  return {
    model: w.config.kind,
    trainDays: w.config.trainDays,
    newestDay: w.newest === null ? null : formatDay(w.newest),
  };
}

/** The window a run's params name, or null when they cannot be resumed. */
export function windowOf(params: unknown): TrainWindow | null {
  const p = (params ?? {}) as { model?: unknown; newestDay?: unknown };
  // Runs from before the plan was kept have no newestDay: they cannot be resumed.
  if ((p.model !== "default" && p.model !== "seed") || !("newestDay" in p)) return null;
  const newest = typeof p.newestDay === "string" ? parseDay(p.newestDay) : null;
  if (newest === undefined) return null;
  return { config: modelConfig(p.model), newest };
}
