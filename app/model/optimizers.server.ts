/**
 * The Stan optimisers behind augurs' Prophet (prophet.server.ts): one that fits and keeps the
 * parameters it found, named by the feature each beta multiplies, and one that hands stored
 * parameters back so a fitted model is re-created without optimising. The WASM Stan optimiser
 * compiles when this module is imported.
 */
import type {
  ProphetInitialParams,
  ProphetOptimizeOutput,
  ProphetOptions,
  ProphetStanDataJSON,
} from "@bsull/augurs/prophet";
import { optimizer as wasmstan } from "@bsull/augurs-prophet-wasmstan";
import type { ProphetParams, ResolvedModelConfig } from "./config.js";
import type { Series } from "./training-series.js";

const DAY_SECONDS = 86_400;

export type Optimizer = ProphetOptions["optimizer"];
type OptimizeOpts = Parameters<Optimizer["optimize"]>[2];

const EMPTY_LOGS = { debug: "", info: "", warn: "", error: "", fatal: "" };

/** The part of augurs' Stan data this module reads. */
interface StanData {
  X: number[][];
}

/**
 * Names for the columns of the feature matrix augurs hands to Stan, i.e. for the entries of beta.
 * augurs keeps seasonalities and regressors in Rust HashMaps, whose iteration order changes from one
 * Prophet instance to the next, so beta's order does too: a stored beta is only meaningful with names.
 * Each column is identified by recomputing the candidates (Fourier terms exactly as augurs computes
 * them, regressor values) and matching; identical candidate columns are interchangeable by symmetry.
 */
function featureNames(X: number[][], s: Series, config: ResolvedModelConfig): string[] {
  const candidates = new Map<string, number[]>();
  const fourier = (name: string, period: number, order: number) => {
    for (let i = 1; i <= order; i++) {
      const angles = s.days.map((d) => (((d * DAY_SECONDS) / 3600 / 24) * Math.PI * 2 * i) / period);
      candidates.set(`${name}:sin${i}`, angles.map(Math.sin));
      candidates.set(`${name}:cos${i}`, angles.map(Math.cos));
    }
  };
  // augurs' default Fourier orders (Prophet's): yearly 10, weekly 3.
  if (config.yearly) fourier("yearly", 365.25, 10);
  if (config.weekly) fourier("weekly", 7, 3);
  for (const r of config.regressors) candidates.set(r, s.x[r]);
  candidates.set("dummy", new Array<number>(s.days.length).fill(0));

  const k = X[0]?.length ?? 0;
  const names: string[] = [];
  for (let j = 0; j < k; j++) {
    let found: string | undefined;
    for (const [name, col] of candidates) {
      // JS and Rust sin/cos may differ in the last bit.
      if (col.length === X.length && col.every((v, i) => Math.abs(v - X[i]![j]!) < 1e-9)) {
        found = name;
        break;
      }
    }
    if (found === undefined) throw new Error(`cannot identify Prophet feature column ${j}`);
    names.push(found);
    candidates.delete(found);
  }
  return names;
}

/** `params.beta` reordered to `names`; undefined when the feature sets differ. */
function betaFor(params: ProphetParams, names: readonly string[]): Float64Array | undefined {
  if (params.features.length !== names.length) return undefined;
  const beta = new Float64Array(names.length);
  for (let j = 0; j < names.length; j++) {
    const i = params.features.indexOf(names[j]!);
    if (i < 0) return undefined;
    beta[j] = params.beta[i]!;
  }
  return beta;
}

/**
 * Where the L-BFGS of a CV fold without yearly seasonality stops: parameter steps below 1e-6 rather
 * than Stan's 1e-8. Such a fold's last ~40% of iterations creep along a flat optimum
 * (log-probability gains of ~1e-3, line searches failing), and a fold only scores point forecasts:
 * its scores move no more than they already do between two runs of the same fit (augurs' column
 * order changes with each Prophet instance). With yearly seasonality on 120 days (the seed model)
 * the optimum is too flat: the scores moved by 5%, so those folds keep Stan's defaults, as does
 * every stored fit (docs/decisions/0042).
 */
export const FOLD_STOP = { tolParam: 1e-6 } as const;

/**
 * The WASM Stan optimiser, keeping the parameters it found (augurs does not expose them).
 * No warm starts: starting CV folds from the previous fit saved ~10% of L-BFGS iterations but moved
 * the CV scores (the seed model's mean RMSPE by 4 points), i.e. it scored a different model.
 */
export class CapturingOptimizer implements Optimizer {
  params: ProphetParams | undefined;
  /** `fold`: a CV fold's fit, only predicted with its own instance: its beta's columns need no names. */
  constructor(
    private readonly series: Series,
    private readonly config: ResolvedModelConfig,
    private readonly fold = false,
  ) {}

  optimize = (init: ProphetInitialParams, data: ProphetStanDataJSON, opts: OptimizeOpts): ProphetOptimizeOutput => {
    const features = this.fold ? [] : featureNames((JSON.parse(data) as StanData).X, this.series, this.config);
    const stop = this.fold && !this.config.yearly ? { ...opts, ...FOLD_STOP } : opts;
    const out = wasmstan.optimize(init, data, stop);
    const p = out.params;
    this.params = {
      k: p.k,
      m: p.m,
      sigmaObs: p.sigmaObs,
      delta: Array.from(p.delta),
      beta: Array.from(p.beta),
      trend: Array.from(p.trend),
      features,
    };
    return out;
  };
}

/** Hands back stored parameters (beta in this instance's column order): re-creates a fitted model, no optimisation. */
export function replayOptimizer(params: ProphetParams, series: Series, config: ResolvedModelConfig): Optimizer {
  return {
    optimize: (init, data) => {
      const beta = betaFor(params, featureNames((JSON.parse(data) as StanData).X, series, config));
      if (!beta || init.delta.length !== params.delta.length || params.trend.length !== series.days.length) {
        throw new Error("stored model does not match its training data");
      }
      return {
        logs: EMPTY_LOGS,
        params: {
          k: params.k,
          m: params.m,
          sigmaObs: params.sigmaObs,
          delta: Float64Array.from(params.delta),
          beta,
          trend: Float64Array.from(params.trend),
        },
      };
    },
  };
}
