/**
 * The predictor (app/model/predictor.ts) against augurs itself (prophet.server.ts's predict) on
 * trained models: the point forecast to 1e-6, the interval as the same Monte Carlo estimate.
 */
import { describe, expect, it } from "vitest";
import { formatDay, isoWeekday, parseDay } from "../../../app/days.js";
import {
  DEFAULT_CONFIG,
  type ForecastPoint,
  type HistoryDay,
  type ModelConfig,
  type PlanDay,
  SEED_CONFIG,
  type StoredModel,
} from "../../../app/model/config.js";
import { compilePredictor, forecastCost, forecastWithPredictor } from "../../../app/model/predictor.js";
import { initProphet, predict, trainModel } from "../../../app/model/prophet.server.js";
import { Rng } from "../../../app/model/sampling.js";
import { generateSalesDays } from "../../../app/sales/generator/sales-model.js";
import { addDays, END, plan } from "../../support/model-days.js";

const endDay = parseDay(END)!;
const wiggle = (day: number) => 1 + 0.03 * Math.sin(day * 1.7) + 0.02 * Math.cos(day * 0.37);

interface Shape {
  /** Multiplies the level from day `at` days before the end on (a trend change). */
  shift?: { at: number; by: number };
  /** Every day open (else closed on Sundays). */
  allWeek?: boolean;
  /** Some open days are state holidays, so that column varies. */
  stateHolidays?: boolean;
}

/** `days` days ending at END: promo in alternating weeks (+30%), school holidays, a weekly pattern. */
function series(days: number, shape: Shape = {}): HistoryDay[] {
  const out: HistoryDay[] = [];
  for (let day = endDay - days + 1; day <= endDay; day++) {
    const dow = isoWeekday(day);
    const open = dow === 7 && !shape.allWeek ? 0 : 1;
    const promo = dow <= 5 && Math.floor((day - endDay) / 7) % 2 === 0 ? 1 : 0;
    const state = shape.stateHolidays && day % 17 === 0 ? "a" : "0";
    const level = shape.shift && endDay - day < shape.shift.at ? shape.shift.by : 1;
    const weekday = [0, 1.15, 1.0, 0.95, 0.95, 1.05, 0.85, 0.7][dow]!;
    const factor = weekday * (promo ? 1.3 : 1) * (state === "a" ? 0.6 : 1) * level * (1 + (day - endDay) / 2000);
    const sales = open ? Math.round(5000 * factor * wiggle(day)) : 0;
    out.push({ date: formatDay(day), sales, open, promo, stateholiday: state, schoolholiday: day % 30 < 8 ? 1 : 0 });
  }
  return out;
}

/** One store of the project's generator (closed on Sundays, holidays, promotions), oldest first. */
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

const noCv = (c: ModelConfig, more: Partial<ModelConfig> = {}): ModelConfig => ({ ...c, cvFolds: 0, ...more });

initProphet();
const CASES: { name: string; model: StoredModel }[] = [
  ["default, 120 days, closed on Sundays", series(120), noCv(DEFAULT_CONFIG)],
  ["seed: yearly and weekly, no regressors", series(120), noCv(SEED_CONFIG)],
  [
    "400 days: yearly on, all three regressors, open all week",
    series(400, { allWeek: true, stateHolidays: true }),
    noCv(DEFAULT_CONFIG, { trainDays: 400 }),
  ],
  ["short: 20 days, fewer changepoints", series(20), noCv(DEFAULT_CONFIG)],
  [
    "a trend change: sales up 40% for the last 50 days",
    series(120, { shift: { at: 50, by: 1.4 } }),
    noCv(DEFAULT_CONFIG),
  ],
  ["a generated store", generated(5, 150), noCv(DEFAULT_CONFIG)],
].map(([name, history, config]) => ({
  name: name as string,
  // As stored: through JSON.
  model: JSON.parse(JSON.stringify(trainModel(history as HistoryDay[], config as ModelConfig).model)) as StoredModel,
}));
// Stan cannot fit 2 days, but augurs replays any parameters of the right shapes: 2 days leave no
// room for changepoints (a dummy at t = 0) and no feature (a dummy column of zeros).
CASES.push({
  name: "no features, no changepoints: the dummies",
  model: {
    config: { ...noCv(DEFAULT_CONFIG, { minOpenDays: 2, weekly: false, regressors: [] }), yearly: false },
    training: { dates: [formatDay(endDay - 1), formatDay(endDay)], y: [5000, 5200], x: {} },
    params: { k: 0.04, m: 0.96, sigmaObs: 0.03, delta: [0.02], beta: [0.5], trend: [0.96, 1], features: ["dummy"] },
    weekdayOpen: [1, 1, 1, 1, 1, 1, 1],
  },
});

const days = (from: number, n: number, p: Partial<PlanDay> = {}) =>
  Array.from({ length: n }, (_, i) => plan(formatDay(endDay + from + i), p));

/** The next 8 days (Sunday closed) with promo and holidays varying, and a far horizon in shuffled order. */
function questions(model: StoredModel): PlanDay[][] {
  const week = days(1, 8).map((d, i) => ({
    ...d,
    open: isoWeekday(endDay + 1 + i) === 7 && model.weekdayOpen[6]! < 0.5 ? (0 as const) : (1 as const),
    promo: (i % 2) as 0 | 1,
    schoolholiday: (i < 3 ? 1 : 0) as 0 | 1,
    stateholiday: i === 4 ? ("a" as const) : ("0" as const),
  }));
  const far = days(60, 40).reverse();
  // Inside the training window: the history's changepoints apply to some days, not all.
  const past = days(-60, 30, { promo: 1 });
  return [week, far, past];
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

describe("compilePredictor", () => {
  it("is compact plain data: no training arrays, survives structured cloning and JSON", () => {
    for (const { model } of CASES) {
      const p = compilePredictor(model);
      expect(JSON.stringify(p).length).toBeLessThan(2500);
      expect(Object.values(p).every((v) => !Array.isArray(v) || v.length <= 26)).toBe(true);
      expect(structuredClone(p)).toEqual(p);
      expect(JSON.parse(JSON.stringify(p))).toEqual(p);
    }
  });

  it("places changepoints as augurs does: 25, or fewer for a short history, or one dummy at 0", () => {
    const counts = CASES.map(({ model }) => compilePredictor(model).changepoints.length);
    expect(counts).toEqual([25, 25, 25, 12, 25, 25, 1]);
    expect(compilePredictor(CASES.at(-1)!.model).changepoints).toEqual([0]);
  });

  it("compiles training rows and features in any order, and without NaN sales, as augurs fits them", () => {
    const { model } = CASES[0]!;
    const want = compilePredictor(model);
    const shuffled = structuredClone(model);
    const order = model.training.dates.map((_, i) => i).reverse();
    shuffled.training.dates = order.map((i) => model.training.dates[i]!);
    shuffled.training.y = order.map((i) => model.training.y[i]!);
    for (const r of model.config.regressors) shuffled.training.x[r] = order.map((i) => model.training.x[r]![i]!);
    expect(compilePredictor(shuffled)).toEqual(want);
    // augurs orders its feature columns anew in every fit: beta in another order, the same predictor.
    const permuted = structuredClone(model);
    const perm = model.params.features.map((_, i) => i).reverse();
    permuted.params.features = perm.map((i) => model.params.features[i]!);
    permuted.params.beta = perm.map((i) => model.params.beta[i]!);
    expect(compilePredictor(permuted)).toEqual(want);
    // A NaN row is not fitted: the same as the model without it.
    const withNan = structuredClone(model);
    withNan.training.dates.splice(40, 0, "2015-01-01");
    withNan.training.y.splice(40, 0, Number.NaN);
    for (const r of model.config.regressors) withNan.training.x[r]!.splice(40, 0, 1);
    expect(compilePredictor(withNan)).toEqual(want);
    const badDate = structuredClone(model);
    badDate.training.dates[0] = "2015-02-30";
    expect(() => compilePredictor(badDate)).toThrow('invalid date: "2015-02-30"');
  });

  it("throws a clear error for a stored model whose features it cannot map", () => {
    const { model } = CASES[0]!;
    const renamed = structuredClone(model);
    renamed.params.features[renamed.params.features.indexOf("promo")] = "price";
    expect(() => compilePredictor(renamed)).toThrow(/cannot compile a predictor: feature "promo" missing/);

    const extra = structuredClone(model);
    extra.params.features.push("daily:sin1");
    extra.params.beta.push(0.1);
    expect(() => compilePredictor(extra)).toThrow(/unknown feature\(s\) "daily:sin1"/);

    const yearly = structuredClone(model);
    yearly.config.yearly = true;
    expect(() => compilePredictor(yearly)).toThrow(/feature "yearly:sin1" missing/);

    const deltas = structuredClone(model);
    deltas.params.delta.pop();
    expect(() => compilePredictor(deltas)).toThrow(/24 trend changes stored, augurs places 25 changepoints/);

    const column = structuredClone(model);
    delete column.training.x.promo;
    expect(() => compilePredictor(column)).toThrow(/no training column .* for regressor promo/);
  });
});

describe("the band's noise measured out of sample (intervalNoise, ADR 39)", () => {
  const { model } = CASES[0]!;
  const week = questions(model)[0]!;
  const width = (m: StoredModel) =>
    forecastWithPredictor(compilePredictor(m), week)
      .filter((f) => f.value > 0)
      .reduce((s, f) => s + (f.upper - f.lower), 0);
  const sigmaSales = (m: StoredModel) => compilePredictor(m).sigmaObs * compilePredictor(m).yScale;

  it("widens the band where the CV folds erred more than Prophet's in-sample sigma; the points stay", () => {
    const base = sigmaSales(model);
    const wider = { ...model, intervalNoise: 3 * base };
    expect(sigmaSales(wider)).toBeCloseTo(3 * base, 6);
    expect(width(wider)).toBeGreaterThan(2.5 * width(model));
    expect(forecastWithPredictor(compilePredictor(wider), week).map((f) => f.value)).toEqual(
      forecastWithPredictor(compilePredictor(model), week).map((f) => f.value),
    );
  });

  it("never narrows it below sigma_obs, and a model without it is Prophet's own", () => {
    expect(sigmaSales({ ...model, intervalNoise: 0.5 * sigmaSales(model) })).toBeCloseTo(sigmaSales(model), 6);
    expect(compilePredictor(model).sigmaObs).toBe(model.params.sigmaObs);
  });
});

describe("forecastCost", () => {
  it("is about the days near the history, and follows the days asked, not how far ahead they are", () => {
    const p = compilePredictor(CASES[0]!.model);
    const week = (from: number) => Array.from({ length: 7 }, (_, i) => plan(addDays(END, from + i)));
    const spanDays = p.tScale / 86_400;
    // Next week: its 7 days and the few changes of a short reach.
    expect(forecastCost(p, week(1))).toBeGreaterThanOrEqual(7);
    expect(forecastCost(p, week(1))).toBeLessThan(7 + 25 * (8 / spanDays) + 1);
    // 60 days on: every change since the history's end is still drawn one by one.
    const reach = (endDay + 66 - endDayOf(p)) / spanDays;
    expect(forecastCost(p, week(60))).toBeCloseTo(7 + p.changepoints.length * reach, 0);
    // Two years on, or in year 9999: the changes before the week are drawn at once, its own one by one.
    const ownWeek = 7 + p.changepoints.length * (6 / spanDays);
    expect(forecastCost(p, week(730))).toBeCloseTo(ownWeek, 0);
    const y9999 = Array.from({ length: 7 }, (_, i) => plan(`9999-01-0${i + 1}`));
    expect(forecastCost(p, y9999)).toBeCloseTo(ownWeek, 0);
    // Every change drawn (as augurs does): thousands of times a week's cost.
    expect(
      forecastCost(p, y9999, { exactChanges: Number.POSITIVE_INFINITY }) / forecastCost(p, week(1)),
    ).toBeGreaterThan(10_000);
    // A sparse question spanning years costs its span: the model threads' time limit still applies.
    expect(forecastCost(p, [plan(addDays(END, 1)), plan("9999-01-01")]) / forecastCost(p, week(1))).toBeGreaterThan(
      10_000,
    );
    expect(forecastCost(p, [])).toBe(1);
  });
});

/** The last training day of a predictor (t = 1). */
const endDayOf = (p: { startDay: number; tScale: number }) => p.startDay + p.tScale / 86_400;

describe("forecastWithPredictor", () => {
  for (const { name, model } of CASES) {
    it(`${name}: the point forecast is augurs' to 1e-6, closed days exactly 0`, () => {
      const p = compilePredictor(model);
      for (const q of questions(model)) {
        const [want, got] = [predict(model, q), forecastWithPredictor(p, q)];
        expect(got.map((f) => f.date)).toEqual(q.map((d) => d.date));
        for (const [i, f] of got.entries()) {
          expect(rel(f.value, want[i]!.value)).toBeLessThan(1e-6);
          if (q[i]!.open === 0) expect(f).toEqual({ date: f.date, value: 0, lower: 0, upper: 0 });
          else expect(f.lower <= f.value && f.value <= f.upper).toBe(true);
        }
      }
    });
  }

  it("the changes of trend are real in the shifted series: the test of changepoints has teeth", () => {
    const p = compilePredictor(CASES[4]!.model);
    expect(Math.max(...p.delta.map(Math.abs))).toBeGreaterThan(0.05);
  });

  it("is deterministic: the same question, the same answer; another question, other draws", () => {
    const { model } = CASES[0]!;
    const p = compilePredictor(model);
    const [week] = questions(model);
    const once = forecastWithPredictor(p, week!);
    expect(forecastWithPredictor(structuredClone(p), week!)).toEqual(once);
    expect(forecastWithPredictor(compilePredictor(structuredClone(model)), week!)).toEqual(once);
    // One more day asked: the shared days keep their points, their intervals come from other draws.
    const longer = forecastWithPredictor(p, [...week!, plan(formatDay(endDay + 9))]);
    expect(longer.slice(0, 8).map((f) => f.value)).toEqual(once.map((f) => f.value));
    expect(longer.slice(0, 8).map((f) => f.upper)).not.toEqual(once.map((f) => f.upper));
    // A given generator replaces the seeded one.
    const a = forecastWithPredictor(p, week!, new Rng(1));
    expect(forecastWithPredictor(p, week!, new Rng(1))).toEqual(a);
    expect(forecastWithPredictor(p, week!, new Rng(2))).not.toEqual(a);
  });
});

/** Mean and standard error of the mean, per day, of lower and upper bounds over repeated forecasts. */
function boundStats(runs: ForecastPoint[][]) {
  const stat = (xs: number[]) => {
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1));
    return { mean, se: sd / Math.sqrt(xs.length) };
  };
  return runs[0]!.map((_, j) => ({
    lower: stat(runs.map((r) => r[j]!.lower)),
    upper: stat(runs.map((r) => r[j]!.upper)),
  }));
}

describe("the interval, against augurs' sampling", () => {
  // Each run estimates the 2.5% and 97.5% quantiles of the same predictive distribution from 1,000
  // draws; augurs' draws are unseeded. Averaged over runs, both sides estimate the same number, so
  // their difference is 0 up to its standard error, estimated from the runs' spread. A difference
  // beyond 6 standard errors is a different distribution (a noise scale 4% off, a Laplace scale 30%
  // off or a changepoint rate 12% off all fail); by chance (a t with ~39 degrees of freedom, over
  // ~560 correlated comparisons) well under 1 run in 1,000. A bound clamped at 0 on both sides is skipped.
  const AUGURS_RUNS = 40;
  const OUR_RUNS = 100;

  /** Mean bounds of both over runs: equal within 6 standard errors of their difference. */
  function expectSameBounds(model: StoredModel, q: PlanDay[], ours: (r: number) => ForecastPoint[]): number {
    const theirs = boundStats(Array.from({ length: AUGURS_RUNS }, () => predict(model, q)));
    const mine = boundStats(Array.from({ length: OUR_RUNS }, (_, r) => ours(r)));
    let compared = 0;
    for (const [j, t] of theirs.entries()) {
      if (q[j]!.open === 0) continue;
      for (const side of ["lower", "upper"] as const) {
        const [a, b] = [t[side], mine[j]![side]];
        if (a.mean === 0 && b.mean === 0) continue;
        const se = Math.sqrt(a.se ** 2 + b.se ** 2);
        expect(Math.abs(a.mean - b.mean), `${q[j]!.date} ${side}`).toBeLessThan(6 * se + 1e-9 * a.mean);
        compared++;
      }
    }
    return compared;
  }

  // Three years on, ~230 trend changes a sample before the days asked: ours draws their sum at once
  // (its normal limit), augurs draws each. With the trend change, wrong moments fail this: Var D as
  // c L^2 / 4 instead of c L^2 / 3, or no correlation between K and D; the flat series' bounds are
  // mostly noise (its deltas are tiny), so it checks that the sum adds nothing where it should not.
  for (const i of [0, 4]) {
    it(`${CASES[i]!.name}: three years ahead, the summed trend changes give augurs' bounds`, () => {
      const { model } = CASES[i]!;
      const p = compilePredictor(model);
      const q = days(1095, 60);
      expect(forecastCost(p, q)).toBeLessThan(60 + p.changepoints.length);
      expect(expectSameBounds(model, q, (r) => forecastWithPredictor(p, q, new Rng(r)))).toBeGreaterThan(50);
    });
  }

  for (const i of [0, 1, 2, 3, 4, 5]) {
    it(`${CASES[i]!.name}: both estimate the same bounds, near and far`, () => {
      const { model } = CASES[i]!;
      const p = compilePredictor(model);
      for (const q of questions(model).slice(0, 2)) {
        expect(expectSameBounds(model, q, (r) => forecastWithPredictor(p, q, new Rng(r)))).toBeGreaterThan(10);
      }
    });
  }
});
