/**
 * Where one series' training time goes, on one thread (no pool, no database): trains generated
 * series with trainModel (fit + 5-fold CV + 7-day forecast, as train-all does) and splits their CPU
 * time between the WASM Stan optimiser itself and everything around it, for the fit alone, the fit
 * and its forecast, and all of it; then checks whether training the same series again in the same
 * thread gives the same results.
 *
 *   npx tsx scripts/profile-fit.ts [--series 300] [--seed 42]
 *   node --import tsx --cpu-prof --cpu-prof-dir /tmp/prof scripts/profile-fit.ts   (a CPU profile)
 */
import { optimizer as wasmstan } from "@bsull/augurs-prophet-wasmstan";
import { Command } from "commander";
import { formatDay, todayDay } from "../app/days.js";
import { type HistoryDay, modelConfig, type PlanDay, type TrainResult } from "../app/model/config.js";
import { initProphet, trainModel } from "../app/model/prophet.server.js";
import { generateSalesDays } from "../app/sales/generator/sales-model.js";
import { integerOption } from "./cli-options.js";

const FORECAST_DAYS = 7;

/** CPU time of the process (one thread does the work): steadier than wall time on a shared machine. */
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** Each generated store's history (oldest first) and the plan of the 7 days after it. */
function generated(stores: number, seed: number): { history: HistoryDay[]; future: PlanDay[] }[] {
  const byStore = new Map<number, HistoryDay[]>();
  for (const day of generateSalesDays({ stores, products: 1, days: 150, endDate: formatDay(todayDay() - 1), seed })) {
    for (const r of day.rows) {
      const days = byStore.get(r.store) ?? [];
      if (days.length === 0) byStore.set(r.store, days);
      const { date, sales, open, promo, stateholiday, schoolholiday } = r;
      days.push({ date, sales, open, promo, stateholiday, schoolholiday });
    }
  }
  return [...byStore.values()].map((days) => {
    days.reverse();
    const history = days.slice(0, -FORECAST_DAYS);
    const future = days.slice(-FORECAST_DAYS).map(({ sales: _, ...plan }) => plan);
    return { history, future };
  });
}

async function main() {
  const opts = new Command()
    .option("--series <n>", "series", integerOption(1, 100_000), 300)
    .option("--seed <n>", "data seed", integerOption(0, 2 ** 31 - 1), 42)
    .parse()
    .opts<{ series: number; seed: number }>();
  initProphet();
  const data = generated(opts.series, opts.seed);
  const config = modelConfig("default");

  // Time inside the WASM optimiser (the object is augurs' own; prophet.server.ts calls it by property).
  const original = wasmstan.optimize;
  let optMs = 0;
  let optCalls = 0;
  wasmstan.optimize = (...args: Parameters<typeof original>) => {
    const t = cpuMs();
    try {
      return original(...args);
    } finally {
      optMs += cpuMs() - t;
      optCalls++;
    }
  };
  const pass = (label: string, train: (h: HistoryDay[], f: PlanDay[]) => TrainResult) => {
    optMs = 0;
    optCalls = 0;
    const results: TrainResult[] = [];
    const t = cpuMs();
    for (const { history, future } of data) results.push(train(history, future));
    const ms = cpuMs() - t;
    const n = data.length;
    console.log(
      `${label.padEnd(34)} ${(ms / n).toFixed(2).padStart(6)} ms/series: optimiser ${(optMs / n).toFixed(2).padStart(6)} ms ` +
        `(${(optCalls / n).toFixed(1)} calls, ${(optMs / optCalls).toFixed(2)} ms each), around it ${((ms - optMs) / n).toFixed(2).padStart(6)} ms`,
    );
    return results;
  };
  // Warm-up (JIT, WASM tiers).
  for (const { history, future } of data.slice(0, 20)) trainModel(history, config, { future });

  console.log(`${data.length} series, one thread\n`);
  pass("fit only (no CV, no forecast)", (h) => trainModel(h, config, { cv: false }));
  pass("fit + 7-day forecast", (h, f) => trainModel(h, config, { cv: false, future: f }));
  const full = pass("fit + 5-fold CV + forecast", (h, f) => trainModel(h, config, { future: f }));
  const again = pass("the same again", (h, f) => trainModel(h, config, { future: f }));
  const same = full.every((r, i) => {
    const a = again[i]!;
    return (
      JSON.stringify(r.model) === JSON.stringify(a.model) &&
      JSON.stringify(r.cv) === JSON.stringify(a.cv) &&
      r.forecast?.every((p, j) => p.value === a.forecast?.[j]?.value)
    );
  });
  // Usually false: augurs orders beta's columns by Rust HashMaps whose order changes with each
  // Prophet instance a thread creates, and L-BFGS' path depends on it (docs/decisions/0042).
  console.log(`\nthe same again, identical (params, CV, point forecasts): ${same}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
