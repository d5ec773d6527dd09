/**
 * The model's vocabulary, shared by the main thread and the model threads: the configuration of each
 * model kind, the data a model is trained on and forecasts for, what training hands back (with its
 * cross-validation scores), and the one failure callers handle (InsufficientHistoryError). Pure
 * (types, constants, no I/O) and imports no other model module, so callers that only plan, configure
 * or catch need not load the Prophet WASM (prophet.server.ts).
 */
import type { StateHoliday } from "../rossmann.js";

export type RegressorName = "promo" | "schoolholiday" | "stateholiday";
export type ModelKind = "default" | "seed";

export interface ModelConfig {
  kind: ModelKind;
  /** The training window: calendar days ending at the newest history day. */
  trainDays: number;
  /** Fewer usable open days in the window -> InsufficientHistoryError. */
  minOpenDays: number;
  weekly: boolean;
  /** "auto": on only when the fitted days span at least 365 days (ADR 0003). */
  yearly: "auto" | boolean;
  intervalWidth: number;
  regressors: RegressorName[];
  cvFolds: number;
  cvHorizon: number;
}

export const REGRESSORS: readonly RegressorName[] = ["promo", "schoolholiday", "stateholiday"];

/** storecast's model: weekly seasonality plus the plan's known-in-advance covariates. */
export const DEFAULT_CONFIG: ModelConfig = Object.freeze<ModelConfig>({
  kind: "default",
  trainDays: 120,
  minOpenDays: 14,
  weekly: true,
  yearly: "auto",
  intervalWidth: 0.95,
  regressors: ["promo", "schoolholiday", "stateholiday"],
  cvFolds: 5,
  cvHorizon: 7,
});

/** The reference system exactly: Prophet on (date, sales) of open days, yearly and weekly on, no regressors. */
export const SEED_CONFIG: ModelConfig = Object.freeze<ModelConfig>({
  kind: "seed",
  trainDays: 120,
  minOpenDays: 14,
  weekly: true,
  yearly: true,
  intervalWidth: 0.95,
  regressors: [],
  cvFolds: 5,
  cvHorizon: 7,
});

/** A fresh, mutable copy of a kind's configuration. */
export function modelConfig(kind: ModelKind): ModelConfig {
  const base = kind === "seed" ? SEED_CONFIG : DEFAULT_CONFIG;
  return { ...base, regressors: [...base.regressors] };
}

export interface HistoryDay {
  date: string;
  sales: number;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

export interface PlanDay {
  date: string;
  open: 0 | 1;
  promo: 0 | 1;
  stateholiday: StateHoliday;
  schoolholiday: 0 | 1;
}

/** Prophet's fitted parameters (in Prophet's scaled units), as plain arrays so they survive JSON. */
export interface ProphetParams {
  k: number;
  m: number;
  sigmaObs: number;
  delta: number[];
  beta: number[];
  trend: number[];
  /** What each beta entry multiplies ("weekly:sin1", "promo", ...): augurs' column order is not stable. */
  features: string[];
}

export type ResolvedModelConfig = ModelConfig & { yearly: boolean };

/** Everything needed to predict again without re-optimising; stored as JSON on a registry version. */
export interface StoredModel {
  /** Resolved: yearly is a boolean and regressors lists only the ones the model actually uses. */
  config: ResolvedModelConfig;
  training: { dates: string[]; y: number[]; x: Partial<Record<RegressorName, number[]>> };
  params: ProphetParams;
  /** Share of open days per ISO weekday (Mon..Sun) in the window, for the plan fallback. */
  weekdayOpen: number[];
  /**
   * The spread of a day's sales around the forecast, in sales units, measured out of sample: the
   * root mean square of the CV folds' RMSEs (cvNoise). The band's noise uses it where it exceeds
   * Prophet's in-sample sigma_obs (ADR 39); absent (no CV, older versions): sigma_obs alone.
   */
  intervalNoise?: number;
}

export interface ForecastPoint {
  date: string;
  value: number;
  lower: number;
  upper: number;
}

export interface Metrics {
  rmse: number;
  /** A fraction (0.12 = 12%), over non-zero actuals only. */
  mape: number;
  mae: number;
  /** Median absolute error. */
  mdae: number;
  /** Kaggle Rossmann's metric, over non-zero actuals only. */
  rmspe: number;
}

export interface CvFold extends Metrics {
  fold: number;
  trainStart: string;
  trainEnd: string;
  testStart: string;
  testEnd: string;
  /** Open days scored. */
  testDays: number;
}

export interface CvResult {
  folds: CvFold[];
  mean: Metrics;
}

export interface TrainResult {
  model: StoredModel;
  cv: CvResult | null;
  /** The training window actually covered by the history (clipped to the oldest history day). */
  trainStart: string;
  trainEnd: string;
  /** Open days actually fitted. */
  trainRows: number;
  /** Open days dropped for NaN / negative / non-finite sales. */
  excluded: number;
  durationMs: number;
  /** When opts.future was given. */
  forecast?: ForecastPoint[];
}

export interface TrainOptions {
  future?: PlanDay[];
  /** Walk-forward cross-validation; default true. */
  cv?: boolean;
}

export class InsufficientHistoryError extends Error {
  override name = "InsufficientHistoryError";
  /** Survives structured cloning as a marker where the class does not (see pool.server.ts). */
  readonly insufficient = true;
  constructor(readonly openDays: number) {
    super(`insufficient history: ${openDays} open days`);
  }
}

const INSUFFICIENT_RE = /^insufficient history: (\d+) open days$/;

/** The error again if `message` is InsufficientHistoryError's, e.g. after crossing a thread boundary. */
export function insufficientHistoryFromMessage(message: string): InsufficientHistoryError | undefined {
  const m = INSUFFICIENT_RE.exec(message);
  return m ? new InsufficientHistoryError(Number(m[1])) : undefined;
}
