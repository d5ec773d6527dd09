/**
 * Realized coverage of the forecasts' 95% band on held-out days, for bench:train: the share of open
 * held-out days whose actual sales fall inside [lower, upper]. Near: the 7 days after the training
 * window (the weekly forecast's horizon, and the CV folds', whose errors set the band's noise: ADR
 * 39) and the 14 days after, the latter also with Prophet's in-sample noise alone. Far: days 336-365
 * after, where the trend changes before the days asked are drawn as their sum (ADR 37), against
 * every change drawn one by one as augurs does.
 */
import { formatDay, todayDay } from "../app/days.js";
import { type ForecastPoint, type HistoryDay, modelConfig, type PlanDay } from "../app/model/config.js";
import type { ModelPool } from "../app/model/pool.server.js";
import { compilePredictor, forecastWithPredictor } from "../app/model/predictor.js";
import { DEFAULT_PRODUCT } from "../app/rossmann.js";
import { generateSalesDays } from "../app/sales/generator/sales-model.js";

const TRAIN_DAYS = 150;
const NEAR_DAYS = 14;
const FAR_FROM = 336;
const FAR_TO = 365;
/** Series train from origins spread over this many days, so no season (December) weighs alone. */
const ORIGINS = 364;

export interface Coverage {
  /** Open held-out days scored, and the share inside the band. */
  days: number;
  share: number;
}

export interface CoverageFigures {
  series: number;
  /** The first 7 days after training (the weekly forecast's horizon) and all 14. */
  week: Coverage;
  near: Coverage;
  /** The same 14 days with Prophet's in-sample noise alone (before ADR 39). */
  nearUncalibrated: Coverage;
  farSummed: Coverage;
  farEveryChange: Coverage;
}

const planOf = (days: readonly HistoryDay[]): PlanDay[] =>
  days.map(({ date, open, promo, stateholiday, schoolholiday }) => ({
    date,
    open,
    promo,
    stateholiday,
    schoolholiday,
  }));

class Tally {
  inside = 0;
  days = 0;
  add(actual: readonly HistoryDay[], forecast: readonly ForecastPoint[]): void {
    actual.forEach((a, i) => {
      const f = forecast[i];
      if (a.open !== 1 || a.sales <= 0 || !f) return;
      this.days++;
      if (f.lower <= a.sales && a.sales <= f.upper) this.inside++;
    });
  }
  result(): Coverage {
    return { days: this.days, share: this.days === 0 ? Number.NaN : this.inside / this.days };
  }
}

/**
 * Trains the default model of `stores` generated series on 150 days each, from origins spread over
 * a year, and scores its band on the 14 days after (the training's own forecast) and on days 336-365
 * after (the predictor, both ways). `log` gets progress.
 */
export async function intervalCoverage(
  pool: ModelPool,
  stores: number,
  seed: number,
  log: (line: string) => void,
): Promise<CoverageFigures> {
  const endDate = formatDay(todayDay() - 1);
  const byStore = new Map<number, HistoryDay[]>();
  for (const day of generateSalesDays({ stores, products: 1, days: ORIGINS + TRAIN_DAYS + FAR_TO, endDate, seed })) {
    for (const r of day.rows) {
      if (r.productname !== DEFAULT_PRODUCT) continue;
      const days = byStore.get(r.store) ?? [];
      if (days.length === 0) byStore.set(r.store, days);
      days.push(r);
    }
  }
  const entries = [...byStore.values()].map((days) => days.sort((a, b) => (a.date < b.date ? -1 : 1)));
  const week = new Tally();
  const near = new Tally();
  const nearUncalibrated = new Tally();
  const farSummed = new Tally();
  const farEvery = new Tally();
  const every = { exactChanges: Number.POSITIVE_INFINITY };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < entries.length) {
      const i = next++;
      // Each series its own origin, spread evenly over a year.
      const origin = Math.floor((i * ORIGINS) / entries.length);
      const days = entries[i]!.slice(origin);
      const train = days.slice(0, TRAIN_DAYS);
      const nearDays = days.slice(TRAIN_DAYS, TRAIN_DAYS + NEAR_DAYS);
      const farDays = days.slice(TRAIN_DAYS + FAR_FROM - 1, TRAIN_DAYS + FAR_TO);
      // With CV, as train-all trains: its folds measure the band's noise (ADR 39).
      const r = await pool.train(train, modelConfig("default"), { future: planOf(nearDays) });
      near.add(nearDays, r.forecast ?? []);
      week.add(nearDays.slice(0, 7), r.forecast ?? []);
      const { intervalNoise: _, ...uncalibrated } = r.model;
      nearUncalibrated.add(nearDays, forecastWithPredictor(compilePredictor(uncalibrated), planOf(nearDays)));
      const p = compilePredictor(r.model);
      const farPlan = planOf(farDays);
      farSummed.add(farDays, forecastWithPredictor(p, farPlan));
      farEvery.add(farDays, forecastWithPredictor(p, farPlan, undefined, every));
      done++;
      if (done % 100 === 0) log(`interval coverage: ${done}/${entries.length} series`);
    }
  };
  await Promise.all(Array.from({ length: pool.threads * 2 }, worker));
  return {
    series: entries.length,
    week: week.result(),
    near: near.result(),
    nearUncalibrated: nearUncalibrated.result(),
    farSummed: farSummed.result(),
    farEveryChange: farEvery.result(),
  };
}

const pct = (c: Coverage) => `${(100 * c.share).toFixed(1)}% of ${c.days} days`;

/** bench:train's rows: [measure, value, target, result]. */
export function coverageRows(c: CoverageFigures): [string, string, string, string][] {
  const inBand = (s: number) => (s >= 0.93 && s <= 0.97 ? "pass" : "FAIL");
  return [
    [
      `95% band coverage, the 7 days after training (${c.series} series from origins over a year)`,
      pct(c.week),
      "93-97%",
      inBand(c.week.share),
    ],
    [
      `95% band coverage, the ${NEAR_DAYS} days after training: CV-measured noise (ADR 39) / Prophet's sigma alone`,
      `${pct(c.near)} / ${(100 * c.nearUncalibrated.share).toFixed(1)}%`,
      "report (CV measures 7 days)",
      "",
    ],
    [
      `95% band coverage, days ${FAR_FROM}-${FAR_TO} after training: trend changes summed (ADR 37) / every change drawn`,
      `${pct(c.farSummed)} / ${(100 * c.farEveryChange.share).toFixed(1)}%`,
      "report (both alike)",
      "",
    ],
  ];
}
