/**
 * A version's configuration and fitted parameters as a reader sees them on its page: named figures,
 * the regressor and seasonality coefficients paired with what they multiply, and long arrays
 * (changepoint deltas, the fitted trend) summarised with every value kept for "show all". Pure:
 * the stored JSON is read defensively, since versions registered by older code or imported from
 * another instance may lack a field.
 */
import { z } from "zod";

/** One configuration setting, printed as text (arrays joined, booleans as yes/no). */
export interface ConfigSetting {
  name: string;
  value: string;
}

/** A long array of numbers: its summary, and every value for whoever opens it. */
export interface ParameterArray {
  name: string;
  note: string;
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  values: number[];
}

export interface FittedParameters {
  /** k (growth rate), m (offset), sigmaObs (noise): single numbers. */
  scalars: { name: string; note: string; value: number }[];
  /** Each beta with the feature it multiplies ("promo", "weekly:sin1"). */
  coefficients: { feature: string; value: number }[];
  arrays: ParameterArray[];
  /** Share of open days per weekday (Mon..Sun) in the training window; null when not stored. */
  weekdayOpen: number[] | null;
  /** The configuration the model was actually fitted with (yearly resolved, regressors in use). */
  resolved: ConfigSetting[];
}

// zod 4 numbers refuse NaN and infinities already.
const finite = z.number();
const storedModelShape = z.object({
  config: z.record(z.string(), z.unknown()).optional(),
  params: z.object({
    k: finite,
    m: finite,
    sigmaObs: finite,
    delta: z.array(finite),
    beta: z.array(finite),
    trend: z.array(finite).optional(),
    features: z.array(z.string()).optional(),
  }),
  weekdayOpen: z.array(finite).length(7).optional(),
  intervalNoise: finite.min(0).optional(),
});

function printValue(value: unknown): string {
  if (value === null || value === undefined) return "–";
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (Array.isArray(value)) return value.length === 0 ? "none" : value.map(printValue).join(", ");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** A configuration object as settings in its own key order; anything but an object gives none. */
export function configSettings(config: unknown): ConfigSetting[] {
  if (!config || typeof config !== "object" || Array.isArray(config)) return [];
  return Object.entries(config as Record<string, unknown>).map(([name, value]) => ({ name, value: printValue(value) }));
}

export function summariseArray(name: string, note: string, values: readonly number[]): ParameterArray {
  if (values.length === 0) return { name, note, count: 0, min: null, max: null, mean: null, values: [] };
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let sum = 0;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
    sum += v;
  }
  return { name, note, count: values.length, min, max, mean: sum / values.length, values: [...values] };
}

/**
 * The stored model's fitted parameters, or null when `params` is not a stored Prophet model (then
 * the page says so rather than guessing).
 */
export function fittedParameters(params: unknown): FittedParameters | null {
  const parsed = storedModelShape.safeParse(params);
  if (!parsed.success) return null;
  const { params: p, config, weekdayOpen, intervalNoise } = parsed.data;
  const features = p.features ?? [];
  const arrays = [
    summariseArray("delta", "trend changes at the changepoints (scaled units)", p.delta),
    ...(p.trend ? [summariseArray("trend", "the fitted trend over the training days (scaled units)", p.trend)] : []),
  ];
  return {
    scalars: [
      { name: "k", note: "base growth rate (scaled units)", value: p.k },
      { name: "m", note: "offset (scaled units)", value: p.m },
      { name: "sigmaObs", note: "observation noise (scaled units)", value: p.sigmaObs },
      ...(intervalNoise === undefined
        ? []
        : [{ name: "intervalNoise", note: "the band's noise, the CV folds' RMS error (sales)", value: intervalNoise }]),
    ],
    coefficients: p.beta.map((value, i) => ({ feature: features[i] ?? `beta[${i}]`, value })),
    arrays,
    weekdayOpen: weekdayOpen ?? null,
    resolved: configSettings(config),
  };
}

/** One cross-validation fold as stored with a version (app/model's CvFold). */
export interface StoredFold {
  fold: number;
  trainStart: string;
  trainEnd: string;
  testStart: string;
  testEnd: string;
  testDays: number;
  rmse: number;
  mape: number;
  mae: number;
  mdae: number;
  rmspe: number;
}

const foldShape = z.object({
  fold: z.number().int(),
  trainStart: z.string(),
  trainEnd: z.string(),
  testStart: z.string(),
  testEnd: z.string(),
  testDays: z.number(),
  rmse: z.number(),
  mape: z.number(),
  mae: z.number(),
  mdae: z.number(),
  rmspe: z.number(),
});

/** The folds of a version's stored CV metrics that have the expected shape (others are skipped). */
export function storedFolds(cv: { folds: unknown[] } | null): StoredFold[] {
  if (!cv || !Array.isArray(cv.folds)) return [];
  return cv.folds.flatMap((f) => {
    const parsed = foldShape.safeParse(f);
    return parsed.success ? [parsed.data] : [];
  });
}
