import { optimizer as wasmstan } from "@bsull/augurs-prophet-wasmstan";
import { afterEach, describe, expect, it, vi } from "vitest";
import { formatDay, isoWeekday, parseDay } from "../../../app/days.js";
import {
  DEFAULT_CONFIG,
  type HistoryDay,
  InsufficientHistoryError,
  type ModelConfig,
  modelConfig,
  SEED_CONFIG,
  type StoredModel,
} from "../../../app/model/config.js";
import { cvFolds } from "../../../app/model/cross-validation.js";
import { FOLD_STOP } from "../../../app/model/optimizers.server.js";
import { weekdayOpenShares } from "../../../app/model/plan.js";
import { compilePredictor, forecastWithPredictor } from "../../../app/model/predictor.js";
import { initProphet, predict, trainModel } from "../../../app/model/prophet.server.js";
import { generateSalesDays } from "../../../app/sales/generator/sales-model.js";
import { addDays, END, plan } from "../../support/model-days.js";

const endDay = parseDay(END)!;

/** Small deterministic wiggle, so hand-built series are not perfectly collinear. */
const wiggle = (day: number) => 1 + 0.03 * Math.sin(day * 1.7) + 0.02 * Math.cos(day * 0.37);

/** `days` days ending at END: closed on Sundays, Mon-Fri promo in alternating weeks, +30% sales on promo. */
function handSeries(days = 120, end = endDay): HistoryDay[] {
  const out: HistoryDay[] = [];
  for (let day = end - days + 1; day <= end; day++) {
    const dow = isoWeekday(day);
    const open = dow === 7 ? 0 : 1;
    const promo = dow <= 5 && Math.floor((day - end) / 7) % 2 === 0 ? 1 : 0;
    const weekday = [0, 1.15, 1.0, 0.95, 0.95, 1.05, 0.85, 0][dow]!;
    const sales = open ? Math.round(5000 * weekday * (promo ? 1.3 : 1) * wiggle(day)) : 0;
    out.push({ date: formatDay(day), sales, open, promo, stateholiday: "0", schoolholiday: day % 30 < 8 ? 1 : 0 });
  }
  return out;
}

/** One generated store (the project's Rossmann generator), oldest day first. */
function generated(store: number, days: number, seed = 42): HistoryDay[] {
  const out: HistoryDay[] = [];
  for (const d of generateSalesDays({ stores: store, products: 1, days, endDate: END, seed })) {
    const r = d.rows[store - 1]!;
    out.push({
      date: r.date,
      sales: r.sales,
      open: r.open,
      promo: r.promo,
      stateholiday: r.stateholiday,
      schoolholiday: r.schoolholiday,
    });
  }
  return out.reverse();
}

const noCv = (c: ModelConfig = DEFAULT_CONFIG) => ({ ...c, cvFolds: 0 });

describe("configurations, trained", () => {
  it("a trained seed model has yearly on and no regressors", () => {
    const { model } = trainModel(handSeries(), noCv(SEED_CONFIG));
    expect(model.config.yearly).toBe(true);
    expect(model.config.regressors).toEqual([]);
    expect(model.training.x).toEqual({});
    expect(model.params.features.filter((f) => f.startsWith("yearly:"))).toHaveLength(20);
  });

  it("default yearly resolves off for 120 days and on for a 400-day window", () => {
    expect(trainModel(handSeries(), noCv()).model.config.yearly).toBe(false);
    const long = trainModel(handSeries(400), { ...noCv(), trainDays: 400 });
    expect(long.model.config.yearly).toBe(true);
    expect(long.trainRows).toBeGreaterThan(300);
  });
});

describe("trainModel", () => {
  initProphet();

  it("fits the newest trainDays calendar days of an unsorted, longer history, open days only", () => {
    const history = handSeries(200).reverse();
    const r = trainModel(history, DEFAULT_CONFIG);
    expect(r.trainStart).toBe(addDays(END, -119));
    expect(r.trainEnd).toBe(END);
    const inWindow = history.filter((h) => h.date >= r.trainStart);
    expect(r.trainRows).toBe(inWindow.filter((h) => h.open === 1).length);
    expect(r.excluded).toBe(0);
    expect(r.model.training.dates).toHaveLength(r.trainRows);
    expect(r.model.training.dates.every((d) => isoWeekday(parseDay(d)!) !== 7)).toBe(true);
    expect([...r.model.training.dates].sort()).toEqual(r.model.training.dates);
    expect(r.durationMs).toBeGreaterThan(0);
  });

  it("forecasts days the plan marks closed as exactly 0 and clamps forecasts at 0", () => {
    const sunday = addDays(END, 2);
    const r = trainModel(handSeries(), noCv(), {
      future: [plan(addDays(END, 1)), plan(sunday, { open: 0 }), plan(addDays(END, 3), { promo: 1 })],
    });
    expect(r.forecast).toHaveLength(3);
    expect(r.forecast![1]).toEqual({ date: sunday, value: 0, lower: 0, upper: 0 });
    for (const p of [r.forecast![0]!, r.forecast![2]!]) {
      expect(p.value).toBeGreaterThan(3000);
      expect(p.lower).toBeLessThan(p.value);
      expect(p.upper).toBeGreaterThan(p.value);
    }

    // A series falling towards 0 would be forecast below 0 a few weeks out.
    const falling = handSeries().map((h, i) => ({ ...h, sales: h.open ? 6000 - 48 * i : 0 }));
    const far = Array.from({ length: 60 }, (_, i) => plan(addDays(END, i + 1)));
    const f = trainModel(falling, noCv({ ...DEFAULT_CONFIG, regressors: [] }), { future: far }).forecast!;
    expect(f.at(-1)!.value).toBe(0);
    for (const p of f) {
      expect(p.value).toBeGreaterThanOrEqual(0);
      expect(p.lower).toBeGreaterThanOrEqual(0);
      expect(p.upper).toBeGreaterThanOrEqual(0);
    }
  });

  it("passes regressors to the model: a promo day is forecast higher than the same weekday without promo", () => {
    const { model } = trainModel(handSeries(), noCv());
    expect(model.config.regressors).toEqual(["promo", "schoolholiday"]);
    const promoBeta = model.params.beta[model.params.features.indexOf("promo")]!;
    expect(promoBeta).toBeGreaterThan(0);
    const monday = addDays(END, 3);
    const [withPromo, without] = [predict(model, [plan(monday, { promo: 1 })]), predict(model, [plan(monday)])];
    // +30% of ~5,750 on a Monday.
    expect(withPromo[0]!.value - without[0]!.value).toBeGreaterThan(1000);
    const ratio = withPromo[0]!.value / without[0]!.value;
    expect(ratio).toBeGreaterThan(1.2);
    expect(ratio).toBeLessThan(1.4);
  });

  it("drops a regressor that is constant in training and records the ones used", () => {
    const history = handSeries().map((h) => ({ ...h, schoolholiday: 0 as const }));
    // A state holiday on a closed day only: the open-day column is all 0.
    history[50] = { ...history[50]!, open: 0, sales: 0, stateholiday: "a" };
    const { model } = trainModel(history, noCv());
    expect(model.config.regressors).toEqual(["promo"]);
    expect(Object.keys(model.training.x)).toEqual(["promo"]);
    expect(model.params.features).not.toContain("stateholiday");
    // Plans may still carry the dropped covariates.
    const f = predict(model, [plan(addDays(END, 1), { stateholiday: "a", schoolholiday: 1 })]);
    expect(f[0]!.value).toBeGreaterThan(0);
  });

  it("excludes and counts open days with NaN, negative or infinite sales; closed days are not counted", () => {
    const history = handSeries();
    const openIdx = history.flatMap((h, i) => (h.open ? [i] : []));
    const openDays = openIdx.length;
    for (const [k, sales] of [Number.NaN, -5, Number.POSITIVE_INFINITY].entries()) {
      history[openIdx[10 + k]!] = { ...history[openIdx[10 + k]!]!, sales };
    }
    const r = trainModel(history, noCv());
    expect(r.excluded).toBe(3);
    expect(r.trainRows).toBe(openDays - 3);
    expect(r.model.training.y.every((y) => Number.isFinite(y) && y >= 0)).toBe(true);
  });

  it("throws InsufficientHistoryError with fewer than minOpenDays usable open days", () => {
    // The last 14 days open except their 2 Sundays: 12 open days, 3 of them without usable sales.
    const history = handSeries(30).map((h, i) => (i < 16 ? { ...h, open: 0 as const, sales: 0 } : h));
    const open = history.filter((h) => h.open === 1);
    expect(open).toHaveLength(12);
    for (const h of open.slice(0, 3)) h.sales = Number.NaN;
    expect(() => trainModel(history, DEFAULT_CONFIG)).toThrow(InsufficientHistoryError);
    expect(() => trainModel(history, DEFAULT_CONFIG)).toThrow(/^insufficient history: 9 open days$/);
    try {
      trainModel(history, DEFAULT_CONFIG);
    } catch (err) {
      expect(err).toMatchObject({ name: "InsufficientHistoryError", insufficient: true, openDays: 9 });
    }
    expect(() => trainModel([], DEFAULT_CONFIG)).toThrow("insufficient history: 0 open days");
  });

  it("cross-validates on open days of five consecutive weeks; the mean is the fold average", () => {
    const r = trainModel(generated(1, 120), DEFAULT_CONFIG);
    const cv = r.cv!;
    expect(cv.folds.map((f) => f.fold)).toEqual([1, 2, 3, 4, 5]);
    expect(
      cv.folds.map((f) => ({
        trainStart: f.trainStart,
        trainEnd: f.trainEnd,
        testStart: f.testStart,
        testEnd: f.testEnd,
      })),
    ).toEqual(cvFolds(r.trainStart, r.trainEnd, 5, 7));
    const openInWeek = (f: { testStart: string; testEnd: string }) =>
      r.model.training.dates.filter((d) => d >= f.testStart && d <= f.testEnd).length;
    for (const f of cv.folds) {
      expect(f.testDays).toBe(openInWeek(f));
      expect(f.rmspe).toBeGreaterThan(0);
      expect(f.rmspe).toBeLessThan(0.5);
    }
    const avg = cv.folds.reduce((s, f) => s + f.mape, 0) / 5;
    expect(cv.mean.mape).toBeCloseTo(avg, 12);
    expect(trainModel(generated(1, 120), DEFAULT_CONFIG, { cv: false }).cv).toBeNull();
  });
});

describe("the optimiser's stop", () => {
  afterEach(() => vi.restoreAllMocks());

  it("the stored fit stops where augurs' defaults stop it; only the CV folds stop at FOLD_STOP", () => {
    const spy = vi.spyOn(wasmstan, "optimize");
    trainModel(generated(1, 120), DEFAULT_CONFIG);
    const opts = spy.mock.calls.map((c) => c[2]);
    expect(opts).toHaveLength(6);
    // augurs' own options, untouched: the stored parameters are what they were before the folds stopped earlier.
    expect(opts[0]).toEqual({ jacobian: false });
    for (const o of opts.slice(1)) expect(o).toEqual({ jacobian: false, ...FOLD_STOP });
  });

  it("folds with yearly seasonality keep augurs' defaults (their scores moved with an earlier stop)", () => {
    const spy = vi.spyOn(wasmstan, "optimize");
    trainModel(generated(1, 120), SEED_CONFIG);
    const opts = spy.mock.calls.map((c) => c[2]);
    expect(opts).toHaveLength(6);
    for (const o of opts) expect(o).toEqual({ jacobian: false });
  });
});

describe("stored models", () => {
  /** Relative difference, safe at 0. */
  const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(1, Math.abs(a), Math.abs(b));

  for (const kind of ["default", "seed"] as const) {
    it(`${kind}: predict from the stored JSON reproduces the fitted model's point forecast to 1e-6`, () => {
      const history = generated(3, 130);
      const train = history.slice(0, 120);
      const future = history.slice(120).map(({ sales: _sales, ...p }) => p);
      const r = trainModel(train, modelConfig(kind), { future, cv: false });
      const stored = JSON.parse(JSON.stringify(r.model)) as StoredModel;
      // Several times: augurs orders its feature columns differently from one Prophet instance to the next.
      for (let i = 0; i < 3; i++) {
        const again = predict(stored, future);
        expect(again.map((p) => p.date)).toEqual(future.map((p) => p.date));
        for (const [j, p] of again.entries()) expect(rel(p.value, r.forecast![j]!.value)).toBeLessThan(1e-6);
      }
    });
  }

  it("the training forecast is the stored model's predictor's: what serving answers for the same days", () => {
    const history = generated(3, 130);
    const future = history.slice(120).map(({ sales: _sales, ...p }) => p);
    const r = trainModel(history.slice(0, 120), DEFAULT_CONFIG, { future, cv: false });
    const stored = JSON.parse(JSON.stringify(r.model)) as StoredModel;
    expect(r.forecast).toEqual(forecastWithPredictor(compilePredictor(stored), future));
    expect(r.forecast!.some((p) => p.upper > p.value && p.lower < p.value)).toBe(true);
  });

  it("refuses a stored model whose training data was tampered with", () => {
    const { model } = trainModel(handSeries(), noCv());
    const broken = { ...model, training: { ...model.training, dates: model.training.dates.slice(1) } };
    expect(() => predict(broken, [plan(addDays(END, 1))])).toThrow();
  });
});

describe("weekday pattern", () => {
  it("weekdayOpen is the open share per ISO weekday over the window", () => {
    const history = handSeries();
    const shares = weekdayOpenShares(history, DEFAULT_CONFIG);
    expect(shares).toEqual([1, 1, 1, 1, 1, 1, 0]);
    expect(trainModel(history, noCv()).model.weekdayOpen).toEqual(shares);
    expect(weekdayOpenShares([], DEFAULT_CONFIG)).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});
