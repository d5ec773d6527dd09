/**
 * The forecast's components (app/model/components.ts) on models fitted to generated data: additive,
 * they sum to the forecast's yhat, and each equals augurs' own component of the same prediction.
 */
import { describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay } from "../../../app/days.js";
import { decompose } from "../../../app/model/components.js";
import {
  DEFAULT_CONFIG,
  type HistoryDay,
  type ModelConfig,
  type PlanDay,
  REGRESSORS,
  SEED_CONFIG,
  type StoredModel,
} from "../../../app/model/config.js";
import { compilePredictor, forecastWithPredictor } from "../../../app/model/predictor.js";
import { initProphet, predictComponents, trainModel } from "../../../app/model/prophet.server.js";
import { generateSalesDays } from "../../../app/sales/generator/sales-model.js";
import { END, plan } from "../../support/model-days.js";

const endDay = parseDay(END)!;

/** One store of the project's generator over `days` days ending at END, oldest first. */
function generated(store: number, days: number): HistoryDay[] {
  return [...generateSalesDays({ stores: store, products: 1, days, endDate: END, seed: 7 })]
    .map((d) => d.rows[store - 1]!)
    .map(({ date, sales, open, promo, stateholiday, schoolholiday }) => ({
      date,
      sales,
      open,
      promo,
      stateholiday,
      schoolholiday,
    }))
    .reverse();
}

/** Generated sales with some open state holidays, so all three regressors vary. */
function withOpenStateHolidays(history: HistoryDay[]): HistoryDay[] {
  return history.map((h, i) =>
    i % 23 === 5 && h.open === 1 ? { ...h, stateholiday: "a", sales: Math.round(h.sales * 0.7) } : h,
  );
}

const noCv = (c: ModelConfig, more: Partial<ModelConfig> = {}): ModelConfig => ({ ...c, cvFolds: 0, ...more });

initProphet();
const CASES = (
  [
    ["a generated store, the default model (120 days)", generated(3, 150), noCv(DEFAULT_CONFIG)],
    [
      "400 days: yearly on, all three regressors",
      withOpenStateHolidays(generated(8, 420)),
      noCv(DEFAULT_CONFIG, { trainDays: 400 }),
    ],
    ["the seed model: yearly and weekly, no regressors", generated(5, 150), noCv(SEED_CONFIG)],
  ] as const
).map(([name, history, config]) => ({
  name,
  model: JSON.parse(JSON.stringify(trainModel([...history], config).model)) as StoredModel,
}));

/** The week after the history (Sunday closed), promo on some days, a school and a state holiday. */
const week: PlanDay[] = Array.from({ length: 7 }, (_, i) => {
  const day = endDay + 1 + i;
  return plan(formatDay(day), {
    open: isoWeekday(day) === 7 ? 0 : 1,
    promo: i < 3 ? 1 : 0,
    schoolholiday: i >= 4 ? 1 : 0,
    stateholiday: i === 2 ? "a" : "0",
  });
});

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

describe("decompose", () => {
  it("the cases fit what they are meant to: yearly only where configured, the regressors that vary", () => {
    expect(CASES.map(({ model }) => [model.config.yearly, model.config.regressors])).toEqual([
      [false, ["promo", "schoolholiday"]],
      [true, [...REGRESSORS]],
      [true, []],
    ]);
  });

  for (const { name, model } of CASES) {
    it(`${name}: additive terms that sum to yhat and equal augurs' components to 1e-6`, () => {
      const p = compilePredictor(model);
      const d = decompose(p, week);
      const augurs = predictComponents(model, week);
      const forecast = forecastWithPredictor(p, week);
      // augurs' multiplicative part is 0 everywhere: the model is additive.
      expect(augurs.multiplicative.every((v) => v === 0)).toBe(true);
      expect(d.mode).toBe("additive");
      expect(d.yearly).toBe(model.config.yearly);
      expect(d.regressors).toEqual(model.config.regressors);
      expect(d.days.map((x) => x.date)).toEqual(week.map((x) => x.date));
      for (const [i, day] of d.days.entries()) {
        const terms = [day.trend, day.weekly, day.yearly ?? 0, ...Object.values(day.regressors)];
        const sum = terms.reduce((a, b) => a + b, 0);
        expect(rel(sum, day.yhat)).toBeLessThan(1e-6);
        expect(rel(day.yhat, augurs.yhat[i]!)).toBeLessThan(1e-6);
        expect(rel(day.trend, augurs.trend[i]!)).toBeLessThan(1e-6);
        expect(rel(day.weekly, augurs.seasonalities.weekly![i]!)).toBeLessThan(1e-6);
        if (model.config.yearly) expect(rel(day.yearly!, augurs.seasonalities.yearly![i]!)).toBeLessThan(1e-6);
        else expect(day.yearly).toBeNull();
        for (const r of model.config.regressors) {
          expect(rel(day.regressors[r]!, augurs.regressors[r]![i]!)).toBeLessThan(1e-6);
          expect(day.on[r]).toBe(
            r === "stateholiday" ? week[i]!.stateholiday !== "0" : week[i]![r as "promo" | "schoolholiday"] === 1,
          );
        }
        expect(Object.keys(day.regressors)).toEqual(model.config.regressors);
        // The forecast shown is the sum, clamped at 0; a closed day is 0.
        expect(day.open).toBe(week[i]!.open === 1);
        expect(rel(day.forecast, forecast[i]!.value)).toBeLessThan(1e-6);
        expect(day.forecast).toBe(day.open ? Math.max(0, day.yhat) : 0);
      }
      // A regressor's lift is its effect on a day it is on minus a day it is off.
      for (const r of model.config.regressors) {
        const onDay = d.days.find((x) => x.on[r])!;
        const offDay = d.days.find((x) => !x.on[r])!;
        expect(rel(onDay.regressors[r]! - offDay.regressors[r]!, d.lift[r]!)).toBeLessThan(1e-9);
      }
    });
  }

  it("a model without weekly seasonality or regressors has only its trend", () => {
    const model: StoredModel = {
      config: { ...noCv(DEFAULT_CONFIG, { minOpenDays: 2, weekly: false, regressors: [] }), yearly: false },
      training: { dates: [formatDay(endDay - 1), formatDay(endDay)], y: [5000, 5200], x: {} },
      params: { k: 0.04, m: 0.96, sigmaObs: 0.03, delta: [0.02], beta: [0.5], trend: [0.96, 1], features: ["dummy"] },
      weekdayOpen: [1, 1, 1, 1, 1, 1, 1],
    };
    const d = decompose(compilePredictor(model), week);
    expect(d).toMatchObject({ weekly: false, yearly: false, regressors: [], lift: {} });
    for (const day of d.days) {
      expect(day.weekly).toBe(0);
      expect(day.regressors).toEqual({});
      expect(day.yhat).toBe(day.trend);
    }
  });
});
