/**
 * storecast against Python Prophet on the same generated series and the same cores (issue 17's
 * ">= 25x" target): each side trains every series as storecast's train-all does in the reference
 * system's configuration (SEED_CONFIG: open days' (date, sales), weekly + yearly, no regressors, a
 * 120-day window, a 7-day forecast with its 95% interval, 5-fold CV with a 7-day horizon), storecast
 * with its model pool, Python with a process pool of the same size (scripts/bench-peer.py). Prints
 * both rates, the ratio, storecast's default configuration's rate, and how closely the two sides'
 * forecasts and CV scores agree. storecast trains the seed configuration before and after Python and
 * its rate is over both, so that on a shared machine the two sides see about the same load.
 *
 *   npm run bench:peer [-- --stores 200] [--cores N] [--seed 42] [--python python3] [--venv DIR]
 *                         [--python-optimizer default|lbfgs] [--skip-default]
 *
 * Python Prophet's default optimiser is Newton for fits under 100 points (most CV folds here), where
 * augurs always runs L-BFGS: the two then reach different optima of the same model (CV scores
 * differ, and Newton is slower). `--python-optimizer lbfgs` compares the same optimiser.
 *
 * Python Prophet comes from PyPI into a virtual environment under .cache/bench-peer/ (made once,
 * reused). Without Python 3, venv or pip, it prints why it skips and exits 0. Not part of CI.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Command, Option } from "commander";
import { formatDay, todayDay } from "../app/days.js";
import {
  type HistoryDay,
  InsufficientHistoryError,
  type Metrics,
  type ModelConfig,
  modelConfig,
  type PlanDay,
  SEED_CONFIG,
  type TrainResult,
} from "../app/model/config.js";
import { cvFolds, meanMetrics, metrics } from "../app/model/cross-validation.js";
import { createModelPool, type ModelPool } from "../app/model/pool.server.js";
import { fittedSeries, windowOf } from "../app/model/training-series.js";
import { DEFAULT_PRODUCT } from "../app/rossmann.js";
import { generateSalesDays } from "../app/sales/generator/sales-model.js";
import { median, printTable } from "./bench-server.js";
import { integerOption } from "./cli-options.js";
import { prophetVenv } from "./python-venv.js";

const TARGET_RATIO = 25;
/** "default": Prophet's own choice (Newton under 100 points, L-BFGS above); "lbfgs": always, as augurs. */
const PYTHON_OPTIMIZERS = ["default", "lbfgs"] as const;
type PythonOptimizer = (typeof PYTHON_OPTIMIZERS)[number];
const FORECAST_DAYS = 7;
const SCRIPTS = path.dirname(fileURLToPath(import.meta.url));

const log = (s: string) => process.stderr.write(`bench-peer: ${s}\n`);

interface PeerSeries {
  store: number;
  history: HistoryDay[];
  plan: PlanDay[];
  /** What storecast fits in the seed configuration (its window's open days) and what Python gets. */
  ds: string[];
  y: number[];
  future: string[];
  folds: ReturnType<typeof cvFolds>;
}

interface PythonResult {
  id: number;
  error?: string;
  forecast?: number[];
  folds?: { fold: number; actual: number[]; predicted: number[] }[];
}

interface PythonOutput {
  seconds: number;
  prophet: string;
  results: PythonResult[];
}

/**
 * Generated series: `trainDays` of history, then FORECAST_DAYS planned days. Stores with too few
 * open days to fit (e.g. closed for refurbishment) are left out of both sides.
 */
function generateSeries(stores: number, seed: number): { series: PeerSeries[]; thin: number } {
  const byStore = new Map<number, HistoryDay[]>();
  const days = SEED_CONFIG.trainDays + FORECAST_DAYS;
  for (const day of generateSalesDays({ stores, products: 1, days, endDate: formatDay(todayDay() - 1), seed })) {
    for (const { date, sales, open, promo, stateholiday, schoolholiday, productname, store } of day.rows) {
      if (productname !== DEFAULT_PRODUCT) continue;
      const rows = byStore.get(store) ?? [];
      if (rows.length === 0) byStore.set(store, rows);
      rows.push({ date, sales, open, promo, stateholiday, schoolholiday });
    }
  }
  const series: PeerSeries[] = [];
  let thin = 0;
  for (const [store, rows] of byStore) {
    rows.sort((a, b) => (a.date < b.date ? -1 : 1));
    const history = rows.slice(0, -FORECAST_DAYS);
    const plan = rows.slice(-FORECAST_DAYS).map(({ date, open, promo, stateholiday, schoolholiday }) => ({
      date,
      open,
      promo,
      stateholiday,
      schoolholiday,
    }));
    const w = windowOf(history, SEED_CONFIG.trainDays);
    const fitted = w ? fittedSeries(w).series : undefined;
    if (!w || !fitted || fitted.days.length < SEED_CONFIG.minOpenDays) {
      thin++;
      continue;
    }
    series.push({
      store,
      history,
      plan,
      ds: fitted.days.map(formatDay),
      y: fitted.y,
      future: plan.filter((d) => d.open === 1).map((d) => d.date),
      folds: cvFolds(formatDay(w.start), formatDay(w.end), SEED_CONFIG.cvFolds, SEED_CONFIG.cvHorizon),
    });
  }
  return { series, thin };
}

/** Trains every series on the (warm) pool at once; seconds of wall time and each result (undefined: failed). */
async function trainStorecast(
  pool: ModelPool,
  series: readonly PeerSeries[],
  config: ModelConfig,
): Promise<{ seconds: number; results: (TrainResult | undefined)[]; failed: number }> {
  let done = 0;
  let failed = 0;
  const started = performance.now();
  let last = started;
  const results = await Promise.all(
    series.map(async (s) => {
      try {
        return await pool.train(s.history, config, { future: s.plan });
      } catch (err) {
        if (!(err instanceof InsufficientHistoryError)) log(`store ${s.store}: ${(err as Error).message}`);
        failed++;
        return undefined;
      } finally {
        done++;
        if (performance.now() - last > 5000 || done === series.length) {
          last = performance.now();
          log(`storecast (${config.kind}): ${done}/${series.length} series, ${((last - started) / 1000).toFixed(1)} s`);
        }
      }
    }),
  );
  return { seconds: (performance.now() - started) / 1000, results, failed };
}

/** Runs scripts/bench-peer.py on the series; its progress shows on stderr. */
async function trainPython(
  python: string,
  series: readonly PeerSeries[],
  cores: number,
  algorithm: PythonOptimizer,
): Promise<PythonOutput> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "storecast-bench-peer-"));
  try {
    const input = path.join(dir, "series.json");
    const payload = {
      cores,
      algorithm,
      intervalWidth: SEED_CONFIG.intervalWidth,
      minOpenDays: SEED_CONFIG.minOpenDays,
      series: series.map((s) => ({ id: s.store, ds: s.ds, y: s.y, future: s.future, folds: s.folds })),
    };
    await writeFile(input, JSON.stringify(payload));
    // One BLAS thread per worker: `cores` processes is all the CPU Python gets, as storecast gets `cores` threads.
    const env = { ...process.env, OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
    const child = spawn(python, [path.join(SCRIPTS, "bench-peer.py"), input], {
      env,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    const code = await new Promise<number>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (c) => resolve(c ?? -1));
    });
    if (code !== 0) throw new Error(`scripts/bench-peer.py exited with ${code}`);
    return JSON.parse(stdout) as PythonOutput;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Mean |a - b| over the mean of both, over the open forecast days of every series both sides trained. */
function agreement(
  series: readonly PeerSeries[],
  ours: (TrainResult | undefined)[],
  theirs: Map<number, PythonResult>,
) {
  let diff = 0;
  let level = 0;
  const perSeries: { store: number; rel: number }[] = [];
  series.forEach((s, i) => {
    const a = ours[i]?.forecast?.filter((_, j) => s.plan[j]!.open === 1).map((p) => p.value);
    const b = theirs.get(s.store)?.forecast;
    if (!a || !b || a.length !== b.length || a.length === 0) return;
    let d = 0;
    let l = 0;
    a.forEach((v, j) => {
      d += Math.abs(v - b[j]!);
      l += (v + b[j]!) / 2;
    });
    diff += d;
    level += l;
    perSeries.push({ store: s.store, rel: l > 0 ? d / l : 0 });
  });
  perSeries.sort((x, y) => y.rel - x.rel);
  return { overall: level > 0 ? diff / level : Number.NaN, series: perSeries };
}

/** Mean over series of each series' mean CV metrics, and the number of fold fits scored. */
function cvSummary(perSeries: (Metrics | undefined)[], folds: number): { rmspe: number; folds: number } {
  const xs = perSeries.filter((m): m is Metrics => m !== undefined && !Number.isNaN(m.rmspe)).map((m) => m.rmspe);
  return { rmspe: xs.reduce((a, b) => a + b, 0) / xs.length, folds };
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const loadavg = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");

async function main(): Promise<number> {
  const program = new Command()
    .name("bench-peer")
    .option("--stores <n>", "stores (one series each)", integerOption(1, 100_000), 200)
    .option("--cores <n>", "model threads and Python processes", integerOption(1, 1024), os.availableParallelism())
    .option("--seed <n>", "data seed", integerOption(0, 2 ** 31 - 1), 42)
    .option("--python <cmd>", "the Python 3 that makes the virtual environment", "python3")
    .option(
      "--venv <dir>",
      "the virtual environment (made once, reused)",
      path.join(SCRIPTS, "..", ".cache", "bench-peer", "venv"),
    )
    .addOption(
      new Option(
        "--python-optimizer <name>",
        "Python Prophet's optimiser: its default (the reference's) or L-BFGS always",
      )
        .choices(PYTHON_OPTIMIZERS)
        .default("default"),
    )
    .option("--skip-default", "skip storecast's default configuration", false)
    .parse();
  const opts = program.opts<{
    stores: number;
    cores: number;
    seed: number;
    python: string;
    venv: string;
    pythonOptimizer: PythonOptimizer;
    skipDefault: boolean;
  }>();

  const venv = await prophetVenv(opts.python, path.resolve(opts.venv), log);
  if ("skip" in venv) {
    console.log(`bench-peer: skipped: ${venv.skip}.`);
    return 0;
  }
  const loadBefore = loadavg();
  const { series, thin } = generateSeries(opts.stores, opts.seed);
  log(`${series.length} series (${thin} left out: under ${SEED_CONFIG.minOpenDays} open days); ${opts.cores} cores`);
  if (series.length === 0) throw new Error("no series to train: try more --stores");

  const pool = createModelPool({ threads: opts.cores });
  let seed: Awaited<ReturnType<typeof trainStorecast>>;
  let seedAgain: Awaited<ReturnType<typeof trainStorecast>>;
  let def: Awaited<ReturnType<typeof trainStorecast>> | undefined;
  let py: PythonOutput;
  try {
    // Warm: every thread has loaded the WASM before the clock starts (Python's workers are warmed too).
    await Promise.all(
      Array.from({ length: opts.cores }, () => pool.train(series[0]!.history, modelConfig("seed"), { cv: false })),
    );
    seed = await trainStorecast(pool, series, modelConfig("seed"));
    if (!opts.skipDefault) def = await trainStorecast(pool, series, modelConfig("default"));
    py = await trainPython(venv.python, series, opts.cores, opts.pythonOptimizer);
    // Again after Python, so that on a shared machine storecast's rate spans the load Python saw.
    seedAgain = await trainStorecast(pool, series, modelConfig("seed"));
  } finally {
    await pool.close();
  }
  const loadAfter = loadavg();

  const theirs = new Map(py.results.map((r) => [r.id, r]));
  const pyFailed = py.results.filter((r) => r.error);
  for (const r of pyFailed.slice(0, 5)) log(`python, store ${r.id}: ${r.error}`);
  const n = series.length;
  const rate = (seconds: number) => n / seconds;
  const seedRate = (2 * n) / (seed.seconds + seedAgain.seconds);
  const pyRate = rate(py.seconds);
  const ratio = seedRate / pyRate;
  const ours = cvSummary(
    seed.results.map((r) => r?.cv?.mean),
    seed.results.reduce((a, r) => a + (r?.cv?.folds.length ?? 0), 0),
  );
  const pyCv = series.map((s) => theirs.get(s.store)?.folds);
  const peer = cvSummary(
    pyCv.map((folds) => (folds?.length ? meanMetrics(folds.map((f) => metrics(f.actual, f.predicted))) : undefined)),
    pyCv.reduce((a, f) => a + (f?.length ?? 0), 0),
  );
  const agree = agreement(series, seed.results, theirs);
  const worst = agree.series[0];

  const rows: [string, string, string][] = [
    [
      "series (one store each), open days fitted: median",
      `${n}, ${median(series.map((s) => s.ds.length))}`,
      `${thin} thin stores left out`,
    ],
    [
      "storecast, seed config (fit + forecast + 5-fold CV): series/s, before and after Python (walls)",
      `${seedRate.toFixed(1)} (${seed.seconds.toFixed(1)} s + ${seedAgain.seconds.toFixed(1)} s, ${seed.failed} failed)`,
      "",
    ],
    ...(def
      ? [
          [
            "storecast, default config (regressors): series/s (wall)",
            `${rate(def.seconds).toFixed(1)} (${def.seconds.toFixed(1)} s, ${def.failed} failed)`,
            "",
          ] as [string, string, string],
        ]
      : []),
    [
      `Python Prophet ${py.prophet}, seed config, ${opts.pythonOptimizer === "lbfgs" ? "L-BFGS always" : "its default optimiser"}: series/s (wall)`,
      `${pyRate.toFixed(2)} (${py.seconds.toFixed(1)} s, ${pyFailed.length} failed)`,
      "",
    ],
    [
      "speed-up, seed config: storecast / Python",
      `${ratio.toFixed(1)}x`,
      `>= ${TARGET_RATIO}x: ${ratio >= TARGET_RATIO ? "pass" : "FAIL"}`,
    ],
    ...(def
      ? [
          [
            "speed-up, storecast default config / Python seed config",
            `${(rate(def.seconds) / pyRate).toFixed(1)}x`,
            "report",
          ] as [string, string, string],
        ]
      : []),
    ["CV fold fits scored: storecast / Python", `${ours.folds} / ${peer.folds}`, "equal (same work)"],
    ["CV mean RMSPE, seed config: storecast / Python", `${ours.rmspe.toFixed(3)} / ${peer.rmspe.toFixed(3)}`, "report"],
    [
      "7-day forecasts: mean |storecast - Python| / mean, all / median series / worst",
      `${pct(agree.overall)} / ${pct(median(agree.series.map((x) => x.rel)))} / ${worst ? `${pct(worst.rel)} (store ${worst.store})` : "-"}; ${agree.series.length} series`,
      "report (same model; small with the same optimiser)",
    ],
    ["load average (1, 5, 15 min) before / after", `${loadBefore} / ${loadAfter}`, "report (machine shared?)"],
  ];
  console.log(
    `\nbench-peer: ${n} generated series, ${opts.cores} cores (${os.availableParallelism()} on this machine)`,
  );
  printTable(rows);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(`bench-peer: ${(err as Error).stack ?? err}`);
    process.exit(1);
  },
);
