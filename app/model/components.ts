/**
 * A forecast taken apart: what each of the model's terms contributes to each day, in sales. Our
 * Prophet models are additive (augurs' default mode for seasonalities and regressors; prophet.server.ts
 * sets no other), so trend + weekly + yearly + each regressor's effect is exactly the point forecast
 * before its clamp at 0 (yhat). Computed from a compiled predictor with predictor.ts's own terms, so
 * it cannot drift from the forecast it explains; the tests also hold it to augurs' components.
 * Pure: no I/O, no WASM.
 */
import type { PlanDay, RegressorName } from "./config.js";
import { fourier, type Predictor, SEASONALITIES, timeOf, trendAt } from "./predictor.js";
import { dayOf, REGRESSOR_VALUE } from "./training-series.js";

export interface DayComponents {
  date: string;
  /** A closed day's forecast is exactly 0, whatever its terms. */
  open: boolean;
  /** The trend's level that day. */
  trend: number;
  /** The weekly pattern's effect; 0 when the model has none. */
  weekly: number;
  /** The time of year's effect; null when the model does not use yearly seasonality. */
  yearly: number | null;
  /** Each regressor the model uses: its effect that day (0 on a day it is off, for a 0/1 column). */
  regressors: Partial<Record<RegressorName, number>>;
  /** Whether each of those regressors is on that day in the plan. */
  on: Partial<Record<RegressorName, boolean>>;
  /** The sum of the terms: augurs' yhat. */
  yhat: number;
  /** What the forecast shows: 0 on a closed day, yhat clamped at 0 on an open one. */
  forecast: number;
}

export interface Decomposition {
  /** How the terms combine into yhat; every model storecast fits is additive. */
  mode: "additive";
  weekly: boolean;
  yearly: boolean;
  regressors: RegressorName[];
  /** Sales a day gains with the regressor on rather than off (the same every day: additive). */
  lift: Partial<Record<RegressorName, number>>;
  days: DayComponents[];
}

/** The terms of each planned day's forecast, in the plan's order. */
export function decompose(p: Predictor, days: readonly PlanDay[]): Decomposition {
  const lift: Partial<Record<RegressorName, number>> = {};
  for (const r of p.regressors) lift[r.name] = (p.yScale * r.beta) / r.std;
  return {
    mode: "additive",
    weekly: p.weekly.length > 0,
    yearly: p.yearly.length > 0,
    regressors: p.regressors.map((r) => r.name),
    lift,
    days: days.map((d) => {
      const day = dayOf(d.date);
      const trend = p.yScale * trendAt(p, timeOf(p, day));
      const weekly = p.yScale * fourier(p.weekly, SEASONALITIES.weekly.period, day);
      const yearly = p.yearly.length > 0 ? p.yScale * fourier(p.yearly, SEASONALITIES.yearly.period, day) : null;
      const regressors: Partial<Record<RegressorName, number>> = {};
      const on: Partial<Record<RegressorName, boolean>> = {};
      let yhat = trend + weekly + (yearly ?? 0);
      for (const r of p.regressors) {
        const x = REGRESSOR_VALUE[r.name](d);
        const effect = p.yScale * r.beta * ((x - r.mu) / r.std);
        regressors[r.name] = effect;
        on[r.name] = x === 1;
        yhat += effect;
      }
      const open = d.open === 1;
      return {
        date: d.date,
        open,
        trend,
        weekly,
        yearly,
        regressors,
        on,
        yhat,
        forecast: open ? Math.max(0, yhat) : 0,
      };
    }),
  };
}
