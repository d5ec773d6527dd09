import { randomUUID } from "node:crypto";
import { LRUCache } from "lru-cache";
import { formatDay, parseDay } from "./days.js";
import { ValidationError } from "./errors.js";
import {
  type ForecastPoint,
  type HistoryDay,
  InsufficientHistoryError,
  type ModelKind,
  modelConfig,
  type PlanDay,
  type StoredModel,
  type TrainResult,
} from "./model/config.js";
import { planDays, weekdayOpenShares } from "./model/plan.js";
import type { ModelPool } from "./model/pool.server.js";
import { PipelineRun, type RunKind } from "./pipelines/runs.server.js";
import type { Database } from "./platform/db.server.js";
import { recordSeries, timeAdhocForecast } from "./platform/metrics.server.js";
import {
  AlreadyInRunError,
  listProductionVersions,
  NotFoundError,
  registerVersion,
  type VersionSummary,
  versionParams,
} from "./registry/versions.server.js";
import type { StateHoliday } from "./rossmann.js";
import {
  CLAIM_LEASE_MS,
  claimSeries,
  planSeries,
  type RunSummary,
  recordOutcome,
  releaseClaims,
  renewClaims,
  runProgress,
  type SeriesOutcome,
  summarizeRun,
  type TrainedInRun,
  trainedInRun,
  workerName,
} from "./training/claims.server.js";

/** The weekly forecast covers this many days after the newest sales day. */
export const BATCH_HORIZON_DAYS = 7;
export const MAX_ADHOC_DAYS = 365;
/** At most this many failed series are listed in a run's counts (all are counted). */
const MAX_LISTED_FAILURES = 200;

export interface SeriesKey {
  store: number;
  productname: string;
}

const seriesId = (s: SeriesKey) => `${s.store}\u0000${s.productname}`;

interface SalesDbRow {
  store: number;
  productname: string;
  date: string;
  sales: number;
  open: number;
  promo: number;
  stateholiday: string;
  schoolholiday: number;
}

function toHistoryDay(r: SalesDbRow): HistoryDay {
  return {
    date: r.date,
    sales: r.sales,
    open: r.open === 1 ? 1 : 0,
    promo: r.promo === 1 ? 1 : 0,
    stateholiday: r.stateholiday as StateHoliday,
    schoolholiday: r.schoolholiday === 1 ? 1 : 0,
  };
}

/** The newest sales date in the database, or null when it is empty. */
async function newestSalesDay(db: Database): Promise<number | null> {
  const [row] = await db.sql.query<{ newest: string | null }>("SELECT max(date)::text AS newest FROM rossman_sales");
  return row?.newest ? (parseDay(row.newest) ?? null) : null;
}

/** Every series' days in (fromDay, toDay], grouped by series, in date order. */
async function loadHistories(
  db: Database,
  fromDay: number,
  toDay: number,
  only: { series: SeriesKey } | { stores: [number, number] },
): Promise<Map<string, { key: SeriesKey; days: HistoryDay[] }>> {
  const [firstStore, lastStore] = "series" in only ? [only.series.store, only.series.store] : only.stores;
  const rows = await db.sql.query<SalesDbRow>(
    `SELECT store, productname, date::text AS date, sales, open, promo, stateholiday, schoolholiday
       FROM rossman_sales
      WHERE date > $1::date AND date <= $2::date AND store BETWEEN $3::int AND $4::int
        AND ($5::text IS NULL OR productname = $5::text)
      ORDER BY store, productname, date`,
    [formatDay(fromDay), formatDay(toDay), firstStore, lastStore, "series" in only ? only.series.productname : null],
  );
  const out = new Map<string, { key: SeriesKey; days: HistoryDay[] }>();
  for (const r of rows) {
    const id = seriesId(r);
    let entry = out.get(id);
    if (!entry) {
      entry = { key: { store: r.store, productname: r.productname }, days: [] };
      out.set(id, entry);
    }
    entry.days.push(toHistoryDay(r));
  }
  return out;
}

type CalendarDbRow = Omit<SalesDbRow, "productname" | "sales">;

function toPlanDay(r: Omit<CalendarDbRow, "store">): PlanDay {
  return {
    date: r.date,
    open: r.open === 1 ? 1 : 0,
    promo: r.promo === 1 ? 1 : 0,
    stateholiday: r.stateholiday as StateHoliday,
    schoolholiday: r.schoolholiday === 1 ? 1 : 0,
  };
}

/** The store calendar (plans) for [fromDay, toDay], by store then date. */
async function loadCalendars(
  db: Database,
  fromDay: number,
  toDay: number,
  store?: number,
): Promise<Map<number, Map<string, PlanDay>>> {
  const rows = await db.sql.query<CalendarDbRow>(
    `SELECT store, date::text AS date, open, promo, stateholiday, schoolholiday
       FROM store_calendar
      WHERE date >= $1::date AND date <= $2::date AND ($3::int IS NULL OR store = $3::int)`,
    [formatDay(fromDay), formatDay(toDay), store ?? null],
  );
  const out = new Map<number, Map<string, PlanDay>>();
  for (const r of rows) {
    let plans = out.get(r.store);
    if (!plans) {
      plans = new Map();
      out.set(r.store, plans);
    }
    plans.set(r.date, toPlanDay(r));
  }
  return out;
}

const EMPTY_PLAN: ReadonlyMap<string, PlanDay> = new Map();

function dateRange(fromDay: number, days: number): string[] {
  return Array.from({ length: days }, (_, i) => formatDay(fromDay + i));
}

/** Writes a series' forecast rows; re-writing the same model version replaces them. */
async function writeForecast(
  db: Database,
  key: SeriesKey,
  version: VersionSummary,
  points: ForecastPoint[],
  pipelineRunId: number | null,
): Promise<void> {
  if (points.length === 0) return;
  await db.sql.query(
    `INSERT INTO forecast_results
       (store, productname, forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, pipeline_run_id)
     SELECT $1::int, $2::text, d, v, l, u, $3::text, $4::int, $5::int
       FROM unnest($6::date[], $7::float8[], $8::float8[], $9::float8[]) AS t(d, v, l, u)
     ON CONFLICT (store, productname, forecast_date, model_version) DO UPDATE SET
       forecast_sale = EXCLUDED.forecast_sale, lower_ci = EXCLUDED.lower_ci, upper_ci = EXCLUDED.upper_ci,
       created_on = now(), pipeline_run_id = EXCLUDED.pipeline_run_id`,
    [
      key.store,
      key.productname,
      version.name,
      version.version,
      pipelineRunId,
      points.map((p) => p.date),
      points.map((p) => p.value),
      points.map((p) => p.lower),
      points.map((p) => p.upper),
    ],
  );
}

async function register(
  db: Database,
  key: SeriesKey,
  result: TrainResult,
  pipelineRunId: number | null,
): Promise<VersionSummary> {
  return registerVersion(db, {
    store: key.store,
    productname: key.productname,
    config: result.model.config,
    params: result.model,
    trainStart: result.trainStart,
    trainEnd: result.trainEnd,
    trainRows: result.trainRows,
    cv: result.cv,
    durationMs: Math.round(result.durationMs),
    pipelineRunId,
  });
}

/**
 * Runs a pipeline's work and ends its run: STOPPED when aborted, SUCCEEDED otherwise (with the
 * work's note, e.g. when there was nothing to do), FAILED and rethrown when the work throws.
 */
async function settleRun<R extends { status: "SUCCEEDED" | "FAILED" | "STOPPED"; durationMs: number }>(
  run: PipelineRun,
  result: R,
  started: number,
  signal: AbortSignal | undefined,
  work: () => Promise<string | undefined>,
): Promise<R> {
  try {
    const note = await work();
    if (signal?.aborted) result.status = "STOPPED";
    result.durationMs = Date.now() - started;
    await run.finish(result.status === "STOPPED" ? "STOPPED" : "SUCCEEDED", {
      counts: note ? { ...result, note } : result,
    });
    return result;
  } catch (err) {
    result.status = "FAILED";
    result.durationMs = Date.now() - started;
    await run.finish("FAILED", { counts: result, error: (err as Error).message });
    throw err;
  }
}

export interface TrainAllOptions {
  kind?: ModelKind;
  /** Recorded as the run's kind: the weekly schedule and an on-demand train-all differ only in name. */
  runKind?: Extract<RunKind, "train-all" | "train-weekly">;
  jobId?: string;
  /**
   * Go on with this interrupted run (its plan and data window) rather than start one. Without it, a
   * RUNNING or PENDING run of `jobId` is resumed (a job handed back at shutdown runs again).
   */
  resumeRunId?: number;
  /** Called as series finish (by any worker of the run), for job progress (the run row is updated too). */
  onProgress?: (done: number, total: number) => void;
  /** Stops taking new series when aborted; the run ends STOPPED, or PENDING when `interrupted()`. */
  signal?: AbortSignal;
  /** Whether an abort means "the process is stopping": the run is then left PENDING, to resume. */
  interrupted?: () => boolean;
  /** Asks for `count` helpers (train-chunk jobs, any replica) once the series are planned. */
  requestHelpers?: (runId: number, count: number) => Promise<void>;
  /** Series claimed at a time (default TRAIN_BATCH_SERIES). */
  batchSize?: number;
  /** This worker's name in the run's records (default host:pid#job). */
  worker?: string;
}

export interface FailedSeries extends SeriesKey {
  reason: string;
}

export interface TrainAllResult extends RunSummary {
  runId: number;
  /** PENDING: interrupted by a shutdown; the run resumes when its job runs again. */
  status: "SUCCEEDED" | "FAILED" | "STOPPED" | "PENDING";
  forecastFrom: string | null;
  forecastTo: string | null;
  durationMs: number;
}

/** What a train-all run trains: fixed when it starts, so a resumed run trains the same thing. */
interface TrainWindow {
  config: ReturnType<typeof modelConfig>;
  /** The newest sales day when the run started (null: no history). */
  newest: number | null;
}

function windowParams(w: TrainWindow) {
  return {
    model: w.config.kind,
    trainDays: w.config.trainDays,
    newestDay: w.newest === null ? null : formatDay(w.newest),
  };
}

function windowOf(params: unknown): TrainWindow | null {
  const p = (params ?? {}) as { model?: unknown; newestDay?: unknown };
  // Runs from before the plan was kept have no newestDay: they cannot be resumed.
  if ((p.model !== "default" && p.model !== "seed") || !("newestDay" in p)) return null;
  const newest = typeof p.newestDay === "string" ? parseDay(p.newestDay) : null;
  if (newest === undefined) return null;
  return { config: modelConfig(p.model), newest };
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });

interface ParticipateOptions {
  runId: number;
  window: TrainWindow & { newest: number };
  worker: string;
  signal?: AbortSignal;
  batchSize: number;
  /** Called after each series this worker finishes. */
  onSeriesDone?: () => void;
  /**
   * Errors after the fit (database), by series, across this worker's passes over the run: a
   * passing one is retried, one that keeps coming fails the series (MAX_SERIES_ERRORS).
   */
  errors?: Map<string, number>;
}

/** A series whose registration or forecast write fails this many times in one worker fails for good. */
const MAX_SERIES_ERRORS = 3;

/**
 * One worker's share of a train-all run: claims a batch of its series, trains them (fit,
 * cross-validate, register, write the 7-day forecast) on the model threads, records each outcome,
 * and claims the next batch, until nothing is left to claim. The next batch is claimed and its
 * history loaded while the last series of the current one finish. Leases are renewed meanwhile;
 * a run that was cancelled elsewhere stops it. Whatever it claimed and did not finish is handed
 * back when it returns or throws. Returns how many series it finished.
 */
async function trainClaimedSeries(db: Database, pool: ModelPool, opts: ParticipateOptions): Promise<number> {
  const { runId, worker, window } = opts;
  const errors = opts.errors ?? new Map<string, number>();
  const { config, newest } = window;
  const firstForecastDay = newest + 1;
  const forecastDates = dateRange(firstForecastDay, BATCH_HORIZON_DAYS);
  const fromDay = newest - config.trainDays;
  const calendars = await loadCalendars(db, firstForecastDay, firstForecastDay + BATCH_HORIZON_DAYS - 1);
  // A cancel seen through the run's status (another replica cancelled the job) stops this worker too.
  const local = new AbortController();
  const onAbort = () => local.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onAbort, { once: true });
  if (opts.signal?.aborted) local.abort(opts.signal.reason);
  const renew = setInterval(() => {
    renewClaims(db, runId, worker)
      .then((status) => {
        if (status !== "RUNNING" && status !== "PENDING") local.abort("the run has ended");
      })
      .catch(() => {}); // a missed renewal: the lease is long enough for the next one
  }, CLAIM_LEASE_MS / 6);
  renew.unref();

  interface Item {
    key: SeriesKey;
    days: HistoryDay[];
    already?: TrainedInRun;
  }
  const ready: Item[] = [];
  let exhausted = false;
  let loading: Promise<void> | null = null;
  const claimBatch = async () => {
    const claims = await claimSeries(db, runId, worker, opts.batchSize);
    if (claims.length === 0) {
      exhausted = true;
      return;
    }
    const stores: [number, number] = [claims[0]!.store, claims.at(-1)!.store];
    const [histories, already] = await Promise.all([
      loadHistories(db, fromDay, newest, { stores }),
      trainedInRun(db, runId, stores),
    ]);
    for (const key of claims) {
      const id = seriesId(key);
      ready.push({ key, days: histories.get(id)?.days ?? [], already: already.get(id) });
    }
  };
  const next = async (): Promise<Item | null> => {
    for (;;) {
      if (local.signal.aborted) return null;
      const item = ready.shift();
      if (item) {
        // The batch is all handed out: claim and load the next one while these finish.
        if (ready.length === 0 && !exhausted) loading ??= claimBatch().finally(() => (loading = null));
        return item;
      }
      if (exhausted) return null;
      loading ??= claimBatch().finally(() => (loading = null));
      await loading;
    }
  };

  let finished = 0;
  const trainItem = async ({ key, days, already }: Item) => {
    const done = (outcome: SeriesOutcome, detail: { reason?: string; excludedDays?: number; forecastRows?: number }) =>
      recordOutcome(db, runId, key, outcome, { worker, ...detail });
    try {
      if (already) {
        // Registered by a worker that stopped before recording it: finish its forecast if missing.
        let rows = already.forecastRows;
        if (rows === 0) {
          const params = await versionParams(db, already.versionId);
          const model = params as StoredModel;
          const plan = planDays(forecastDates, calendars.get(key.store) ?? EMPTY_PLAN, model.weekdayOpen);
          const points = await pool.predict(model, plan);
          await writeForecast(
            db,
            key,
            { name: already.name, version: already.version } as VersionSummary,
            points,
            runId,
          );
          rows = points.length;
        }
        await done("trained", { forecastRows: rows });
        recordSeries("trained"); // fitted by the worker that stopped: no fit time here
      } else {
        const future = planDays(forecastDates, calendars.get(key.store) ?? EMPTY_PLAN, weekdayOpenShares(days, config));
        let trained: TrainResult;
        try {
          trained = await pool.train(days, config, { future });
        } catch (err) {
          // Only the fit decides that a series is skipped or failed for good.
          const skipped = err instanceof InsufficientHistoryError;
          await done(skipped ? "skipped" : "failed", { reason: (err as Error).message });
          recordSeries(skipped ? "skipped" : "failed");
          finished++;
          opts.onSeriesDone?.();
          return;
        }
        const version = await register(db, key, trained, runId);
        await writeForecast(db, key, version, trained.forecast ?? [], runId);
        await done("trained", { excludedDays: trained.excluded, forecastRows: trained.forecast?.length ?? 0 });
        recordSeries("trained", trained.durationMs);
      }
    } catch (err) {
      // AlreadyInRunError: another worker of this run registered it meanwhile (a lease ran out),
      // theirs to record. Anything else (a database error around register, forecast or outcome):
      // the outcome stays NULL and the claim goes back when this worker's pass ends, so the series
      // is taken again (the `already` path finishes a registered one), up to MAX_SERIES_ERRORS times.
      if (err instanceof AlreadyInRunError) return;
      const id = `${key.store}:${key.productname}`;
      const seen = (errors.get(id) ?? 0) + 1;
      errors.set(id, seen);
      if (seen < MAX_SERIES_ERRORS) return;
      const reason = `failed ${seen} times after fitting: ${(err as Error).message}`;
      if (
        !(await done("failed", { reason }).then(
          () => true,
          () => false,
        ))
      )
        return;
      recordSeries("failed");
    }
    finished++;
    opts.onSeriesDone?.();
  };
  try {
    // Twice the threads: while one series waits on the database, its thread has the next one.
    // allSettled: one runner's error must not release claims while the others still train; the
    // others stop taking series (local abort) and finish the ones they hold first.
    const runners = await Promise.allSettled(
      Array.from({ length: Math.max(1, pool.threads * 2) }, async () => {
        try {
          for (let item = await next(); item; item = await next()) await trainItem(item);
        } catch (err) {
          local.abort(err);
          throw err;
        }
      }),
    );
    const failure = runners.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failure) throw failure.reason;
    await loading;
  } finally {
    local.abort("this worker's pass has ended");
    clearInterval(renew);
    opts.signal?.removeEventListener("abort", onAbort);
    // A batch still being claimed when this worker stopped: its series go back with the rest.
    await (loading as Promise<void> | null)?.catch(() => {});
    await releaseClaims(db, runId, worker);
  }
  return finished;
}

/** Series claimed at a time by a worker of a train-all (a replica's share grows a batch at a time). */
export const TRAIN_BATCH_SERIES = 50;

/**
 * The weekly pipeline: for every series with sales in the last `trainDays` days, fit,
 * cross-validate, register a new production version, and write the next 7 days into
 * `forecast_results`. A series that cannot be trained is recorded and does not fail the run.
 *
 * The run's series are planned in `train_series` and claimed a batch at a time, so the work can be
 * shared: `requestHelpers` brings in train-chunk jobs (other replicas' workers, trainRunSeries), and
 * this job trains alongside them, then waits for the series others hold. Interrupted by a shutdown,
 * the run is left PENDING and its job (or a resume job) picks it up where it was; a series is
 * never trained twice in one run (docs/decisions/0009).
 */
export async function trainAll(db: Database, pool: ModelPool, opts: TrainAllOptions = {}): Promise<TrainAllResult> {
  const started = Date.now();
  const worker = opts.worker ?? workerName(opts.jobId?.slice(0, 8) ?? "cli");
  const batchSize = Math.max(1, opts.batchSize ?? TRAIN_BATCH_SERIES);
  const { run, window } = await startOrResumeRun(db, opts);
  const result: TrainAllResult = {
    runId: run.id,
    status: "SUCCEEDED",
    series: 0,
    trained: 0,
    skipped: 0,
    failed: 0,
    excludedDays: 0,
    forecastRows: 0,
    failures: [],
    forecastFrom: null,
    forecastTo: null,
    workers: {},
    durationMs: 0,
  };
  const summarize = async () => {
    const s = await summarizeRun(db, run.id, MAX_LISTED_FAILURES);
    Object.assign(result, s);
    result.durationMs = Date.now() - started;
  };
  try {
    const { newest } = window;
    if (newest === null) {
      result.durationMs = Date.now() - started;
      await run.finish("SUCCEEDED", { counts: { ...result, note: "no sales history" } });
      return result;
    }
    result.forecastFrom = formatDay(newest + 1);
    result.forecastTo = formatDay(newest + BATCH_HORIZON_DAYS);
    const total = await run.step("load", () => planSeries(db, run.id, newest - window.config.trainDays, newest));
    result.series = total;

    // Progress: what others finished (read every second) plus what this worker finished.
    let mine = 0;
    let others = (await runProgress(db, run.id, worker)).doneByOthers;
    let reported = 0;
    const report = () => {
      const done = Math.min(total, others + mine);
      if (done <= reported) return;
      reported = done;
      opts.onProgress?.(done, total);
      void run.progress(done, total);
    };
    if (others > 0) report();
    else void run.progress(0, total);
    const poll = setInterval(() => {
      runProgress(db, run.id, worker)
        .then((p) => {
          others = p.doneByOthers;
          report();
        })
        .catch(() => {});
    }, 1000);
    poll.unref();
    try {
      if (opts.requestHelpers && total > batchSize) {
        await opts.requestHelpers(run.id, Math.min(MAX_HELPERS, Math.ceil(total / batchSize) - 1));
      }
      const errors = new Map<string, number>();
      const participate = () =>
        trainClaimedSeries(db, pool, {
          runId: run.id,
          window: { ...window, newest },
          worker,
          signal: opts.signal,
          batchSize,
          errors,
          onSeriesDone: () => {
            mine++;
            report();
          },
        });
      await run.step("train", async () => {
        await participate();
        // Then wait for the series other workers hold; take over any whose lease ran out.
        for (;;) {
          if (opts.signal?.aborted) return;
          const p = await runProgress(db, run.id, worker);
          others = p.doneByOthers;
          report();
          if (p.remaining === 0) return;
          if (p.claimable > 0 && (await participate()) > 0) continue;
          await sleep(500, opts.signal);
        }
      });
    } finally {
      clearInterval(poll);
    }
    await summarize();
    if (opts.signal?.aborted) {
      if (opts.interrupted?.()) {
        result.status = "PENDING";
        await run.suspend({
          counts: result,
          reason: "interrupted by a shutdown: it resumes where it was when its job runs again",
        });
      } else {
        result.status = "STOPPED";
        await run.finish("STOPPED", { counts: result });
      }
      return result;
    }
    report();
    await run.finish("SUCCEEDED", { counts: result });
    return result;
  } catch (err) {
    result.status = "FAILED";
    await summarize().catch(() => {});
    await run.finish("FAILED", { counts: result, error: (err as Error).message });
    throw err;
  }
}

/** The run to go on with (`resumeRunId`, or the job's unfinished run), or a new one. */
async function startOrResumeRun(
  db: Database,
  opts: TrainAllOptions,
): Promise<{ run: PipelineRun; window: TrainWindow }> {
  const resumeId = opts.resumeRunId ?? (opts.jobId ? await unfinishedRunOfJob(db, opts.jobId) : null);
  const resumed = resumeId === null ? null : await PipelineRun.resume(db, resumeId, { jobId: opts.jobId });
  if (resumed) {
    const window = windowOf(resumed.params);
    if (window) return { run: resumed.run, window };
    await resumed.run.finish("FAILED", { error: "cannot be resumed: its parameters are missing" });
  }
  const window = { config: modelConfig(opts.kind ?? "default"), newest: await newestSalesDay(db) };
  const run = await PipelineRun.start(db, opts.runKind ?? "train-all", {
    params: windowParams(window),
    jobId: opts.jobId,
  });
  return { run, window };
}

/** At most this many train-chunk helpers per run (more replicas than that share nothing more). */
const MAX_HELPERS = 16;

/** The RUNNING or PENDING train-all run of a job, if any (the job was handed back or its worker died). */
async function unfinishedRunOfJob(db: Database, jobId: string): Promise<number | null> {
  const [row] = await db.sql.query<{ id: number }>(
    `SELECT id FROM pipeline_runs
      WHERE job_id = $1 AND kind IN ('train-all', 'train-weekly') AND status IN ('RUNNING', 'PENDING')
      ORDER BY id DESC LIMIT 1`,
    [jobId],
  );
  return row?.id ?? null;
}

/**
 * Ends the unfinished (PENDING or RUNNING) train-all runs of a cancelled job STOPPED, so they are not
 * resumed and their train-chunk helpers stop (claims and lease renewals check the run's status).
 * Returns how many runs it stopped.
 */
export async function stopTrainRunsOfJob(db: Database, jobId: string, reason: string): Promise<number> {
  const { count } = await db.prisma.pipelineRun.updateMany({
    where: { job_id: jobId, kind: { in: ["train-all", "train-weekly"] }, status: { in: ["PENDING", "RUNNING"] } },
    data: { status: "STOPPED", error: reason, finished_at: new Date() },
  });
  return count;
}

/** Train-all runs interrupted or orphaned (PENDING or RUNNING), newest first, with their jobs. */
export async function unfinishedTrainRuns(
  db: Database,
): Promise<{ id: number; kind: "train-all" | "train-weekly"; status: string; jobId: string | null }[]> {
  return db.sql.query(
    `SELECT id, kind, status, job_id AS "jobId" FROM pipeline_runs
      WHERE kind IN ('train-all', 'train-weekly') AND status IN ('RUNNING', 'PENDING')
      ORDER BY id DESC`,
  );
}

export interface TrainRunSeriesResult {
  runId: number;
  /** Series this worker finished (trained, skipped or failed). */
  finished: number;
  note?: string;
}

/**
 * A train-chunk job: helps train-all run `runId` by training its unclaimed series until none is
 * left, then returns (the run's own job finishes the run). Nothing to do once the run ended.
 */
export async function trainRunSeries(
  db: Database,
  pool: ModelPool,
  runId: number,
  opts: { signal?: AbortSignal; worker?: string; batchSize?: number } = {},
): Promise<TrainRunSeriesResult> {
  const [row] = await db.sql.query<{ status: string; params: unknown }>(
    "SELECT status, params FROM pipeline_runs WHERE id = $1 AND kind IN ('train-all', 'train-weekly')",
    [runId],
  );
  if (!row) return { runId, finished: 0, note: "no such train-all run" };
  if (row.status !== "RUNNING" && row.status !== "PENDING") return { runId, finished: 0, note: `run ${row.status}` };
  const window = windowOf(row.params);
  if (!window || window.newest === null) return { runId, finished: 0, note: "nothing to train" };
  const finished = await trainClaimedSeries(db, pool, {
    runId,
    window: { ...window, newest: window.newest },
    worker: opts.worker ?? workerName(`chunk-${runId}`),
    signal: opts.signal,
    batchSize: Math.max(1, opts.batchSize ?? TRAIN_BATCH_SERIES),
  });
  return { runId, finished };
}

/** NotFoundError naming the store, or the product of a known store, when the series has no sales. */
export async function assertSeriesExists(db: Database, key: SeriesKey): Promise<void> {
  const [row] = await db.sql.query<{ store: boolean; product: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM rossman_sales WHERE store = $1) AS store,
            EXISTS (SELECT 1 FROM rossman_sales WHERE store = $1 AND productname = $2) AS product`,
    [key.store, key.productname],
  );
  if (!row?.store) throw new NotFoundError("store", `unknown store ${key.store}`);
  if (!row.product) throw new NotFoundError("product", `store ${key.store} has no product ${key.productname}`);
}

export interface TrainOneResult {
  runId: number;
  version: VersionSummary;
  train: Omit<TrainResult, "model">;
}

/**
 * Retrains one series on its latest data: fit, cross-validate, register (the new version
 * becomes production) and refresh its 7-day forecast, recorded as a `retrain` run.
 */
export async function trainOne(
  db: Database,
  pool: ModelPool,
  key: SeriesKey,
  opts: { kind?: ModelKind; jobId?: string } = {},
): Promise<TrainOneResult> {
  await assertSeriesExists(db, key);
  const config = modelConfig(opts.kind ?? "default");
  const run = await PipelineRun.start(db, "retrain", { params: { ...key, model: config.kind }, jobId: opts.jobId });
  try {
    const newest = await newestSalesDay(db);
    const histories = await run.step("load", () =>
      loadHistories(db, (newest ?? 0) - config.trainDays, newest ?? 0, { series: key }),
    );
    const days = histories.get(seriesId(key))?.days ?? [];
    const firstForecastDay = (newest ?? 0) + 1;
    const calendars = await loadCalendars(db, firstForecastDay, firstForecastDay + BATCH_HORIZON_DAYS - 1, key.store);
    const future = planDays(
      dateRange(firstForecastDay, BATCH_HORIZON_DAYS),
      calendars.get(key.store) ?? EMPTY_PLAN,
      weekdayOpenShares(days, config),
    );
    const trained = await run.step("fit", () => pool.train(days, config, { future }));
    const version = await run.step("register", () => register(db, key, trained, run.id));
    await run.step("forecast", () => writeForecast(db, key, version, trained.forecast ?? [], run.id));
    const { model: _model, ...train } = trained;
    await run.finish("SUCCEEDED", {
      counts: { ...key, version: version.version, trainRows: trained.trainRows, excludedDays: trained.excluded },
    });
    recordSeries("trained", trained.durationMs);
    return { runId: run.id, version, train };
  } catch (err) {
    recordSeries(err instanceof InsufficientHistoryError ? "skipped" : "failed");
    await run.finish("FAILED", { error: (err as Error).message });
    throw err;
  }
}

export interface BatchForecastResult {
  runId: number;
  status: "SUCCEEDED" | "FAILED" | "STOPPED";
  /** Series with a production version. */
  series: number;
  forecast: number;
  failed: number;
  forecastRows: number;
  failures: FailedSeries[];
  forecastFrom: string | null;
  forecastTo: string | null;
  durationMs: number;
}

/**
 * Re-forecasts the 7 days after the newest sales day for every series from its production
 * version, without refitting (the stored model and the store calendar, as an ad-hoc forecast),
 * and writes them into `forecast_results`; recorded as a `batch-forecast` run. A series that
 * fails is counted and listed; the run goes on.
 */
export async function batchForecast(
  db: Database,
  pool: ModelPool,
  opts: Pick<TrainAllOptions, "jobId" | "onProgress" | "signal"> = {},
): Promise<BatchForecastResult> {
  const started = Date.now();
  const run = await PipelineRun.start(db, "batch-forecast", {
    params: { horizonDays: BATCH_HORIZON_DAYS },
    jobId: opts.jobId,
  });
  const result: BatchForecastResult = {
    runId: run.id,
    status: "SUCCEEDED",
    series: 0,
    forecast: 0,
    failed: 0,
    forecastRows: 0,
    failures: [],
    forecastFrom: null,
    forecastTo: null,
    durationMs: 0,
  };
  return settleRun(run, result, started, opts.signal, async () => {
    const newest = await newestSalesDay(db);
    if (newest === null) return "no sales history";
    const firstDay = newest + 1;
    const dates = dateRange(firstDay, BATCH_HORIZON_DAYS);
    result.forecastFrom = dates[0]!;
    result.forecastTo = dates.at(-1)!;
    const [keys, calendars] = await run.step("load", () =>
      Promise.all([listProductionVersions(db), loadCalendars(db, firstDay, firstDay + BATCH_HORIZON_DAYS - 1)]),
    );
    result.series = keys.length;
    await run.progress(0, keys.length);
    let next = 0;
    let done = 0;
    const worker = async () => {
      while (next < keys.length && !opts.signal?.aborted) {
        const version = keys[next++]!;
        const key: SeriesKey = { store: version.store, productname: version.productname };
        try {
          // The listing named the version: its model by id (cached), not a second lookup per series.
          const { model } = await storedModel(db, version.id);
          const plan = planDays(dates, calendars.get(key.store) ?? EMPTY_PLAN, model.weekdayOpen);
          const points = await pool.predict(model, plan);
          await writeForecast(db, key, version, points, run.id);
          result.forecast++;
          result.forecastRows += points.length;
        } catch (err) {
          result.failed++;
          if (result.failures.length < MAX_LISTED_FAILURES)
            result.failures.push({ ...key, reason: (err as Error).message });
        }
        done++;
        opts.onProgress?.(done, keys.length);
        void run.progress(done, keys.length);
      }
    };
    await run.step("forecast", () => Promise.all(Array.from({ length: Math.max(1, pool.threads * 2) }, worker)));
  });
}

export interface ForecastRequest extends SeriesKey {
  /** YYYY-MM-DD, inclusive. */
  begin: string;
  /** YYYY-MM-DD, inclusive. */
  end: string;
}

export interface AdhocForecast {
  modelName: string;
  modelVersion: number;
  points: ForecastPoint[];
}

/** Checks an ad-hoc range: real dates, begin not after end, at most MAX_ADHOC_DAYS days. */
export function validateRange(begin: string, end: string): { fromDay: number; days: number } {
  const fromDay = parseDay(begin);
  if (fromDay === undefined)
    throw new ValidationError("begin_date", `begin date must be a real YYYY-MM-DD date, got "${begin}"`);
  const toDay = parseDay(end);
  if (toDay === undefined)
    throw new ValidationError("end_date", `end date must be a real YYYY-MM-DD date, got "${end}"`);
  if (fromDay > toDay) throw new ValidationError("end_date", `end date ${end} is before begin date ${begin}`);
  const days = toDay - fromDay + 1;
  if (days > MAX_ADHOC_DAYS) {
    throw new ValidationError("end_date", `a forecast covers at most ${MAX_ADHOC_DAYS} days, asked for ${days}`);
  }
  return { fromDay, days };
}

// Versions are immutable, so their parsed models can be kept; the production lookup itself is not
// cached (a promote on another replica must take effect at once). Per database: ids repeat across
// databases (tests open several in one process).
interface ModelCache {
  /** Names this database in the model threads' cache keys. */
  key: string;
  models: LRUCache<number, StoredModel>;
}
const modelCaches = new WeakMap<Database, ModelCache>();

async function storedModel(db: Database, versionId: number): Promise<{ model: StoredModel; key: string }> {
  let cache = modelCaches.get(db);
  if (!cache) {
    cache = { key: randomUUID(), models: new LRUCache({ max: 2048 }) };
    modelCaches.set(db, cache);
  }
  let model = cache.models.get(versionId);
  if (!model) {
    const params = await versionParams(db, versionId);
    if (!params) throw new Error(`model version ${versionId} has no params`);
    model = params as StoredModel;
    cache.models.set(versionId, model);
  }
  return { model, key: `${cache.key}:${versionId}` };
}

// Forecasts of one version for one plan, kept: the inputs never change, and the same questions
// (this week, next week) come again and again. Sized in points, about 100 bytes each.
const adhocResults = new LRUCache<string, ForecastPoint[]>({
  maxSize: 200_000,
  sizeCalculation: (points) => Math.max(1, points.length),
});

/** What an ad-hoc forecast reads, in one round trip: the hot path of the forecast API. */
interface AdhocInputs {
  id: number;
  name: string;
  version: number;
  calendar: Omit<CalendarDbRow, "store">[] | null;
}

/** Predicts any range from the production version of a series. Nothing is stored. */
export function adhocForecast(db: Database, pool: ModelPool, req: ForecastRequest): Promise<AdhocForecast> {
  return timeAdhocForecast(() => predictAdhoc(db, pool, req));
}

async function predictAdhoc(db: Database, pool: ModelPool, req: ForecastRequest): Promise<AdhocForecast> {
  const { fromDay, days } = validateRange(req.begin, req.end);
  const [inputs] = await db.sql.query<AdhocInputs>(
    `SELECT v.id, m.name, v.version,
            (SELECT json_agg(json_build_object('date', c.date::text, 'open', c.open, 'promo', c.promo,
                                               'stateholiday', c.stateholiday, 'schoolholiday', c.schoolholiday))
               FROM store_calendar c
              WHERE c.store = m.store AND c.date >= $3::date AND c.date <= $4::date) AS calendar
       FROM registered_models m JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
      WHERE m.store = $1 AND m.productname = $2`,
    [req.store, req.productname, formatDay(fromDay), formatDay(fromDay + days - 1)],
    { prepare: "adhoc-forecast-inputs" },
  );
  if (!inputs) {
    await assertSeriesExists(db, req);
    throw new NotFoundError("model", `no trained model for store ${req.store} ${req.productname} yet`);
  }
  const { model, key } = await storedModel(db, inputs.id);
  const calendar = new Map((inputs.calendar ?? []).map((r) => [r.date, toPlanDay(r)]));
  const plan = planDays(dateRange(fromDay, days), calendar, model.weekdayOpen);
  const resultKey = `${key}:${plan.map((d) => `${d.date}${d.open}${d.promo}${d.stateholiday}${d.schoolholiday}`).join()}`;
  let points = adhocResults.get(resultKey);
  if (!points) {
    points = await pool.predict(model, plan, key);
    adhocResults.set(resultKey, points);
  }
  return { modelName: inputs.name, modelVersion: inputs.version, points: structuredClone(points) };
}

export interface WeeklyForecast {
  modelName: string;
  modelVersion: number;
  createdOn: Date;
  points: ForecastPoint[];
}

/** The newest weekly forecast of a series (the rows the latest run or retrain wrote). */
export async function latestForecast(db: Database, key: SeriesKey): Promise<WeeklyForecast | null> {
  const rows = await db.sql.query<{
    forecast_date: string;
    forecast_sale: number;
    lower_ci: number;
    upper_ci: number;
    model_name: string;
    model_version: number;
    created_on: Date;
  }>(
    `WITH latest AS (
       SELECT model_version FROM forecast_results
        WHERE store = $1 AND productname = $2 ORDER BY created_on DESC, model_version DESC LIMIT 1)
     SELECT forecast_date::text AS forecast_date, forecast_sale, lower_ci, upper_ci, model_name, model_version, created_on
       FROM forecast_results
      WHERE store = $1 AND productname = $2 AND model_version = (SELECT model_version FROM latest)
      ORDER BY forecast_date`,
    [key.store, key.productname],
  );
  const first = rows[0];
  if (!first) return null;
  return {
    modelName: first.model_name,
    modelVersion: first.model_version,
    createdOn: new Date(first.created_on),
    points: rows.map((r) => ({ date: r.forecast_date, value: r.forecast_sale, lower: r.lower_ci, upper: r.upper_ci })),
  };
}
