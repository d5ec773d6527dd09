/**
 * The weekly pipeline (train-all): for every series with sales in the training window, fit,
 * cross-validate, register a new production version, and write the next 7 days into
 * `forecast_results`. A series that cannot be trained is recorded and does not fail the run.
 *
 * The run's series are planned in `train_series` and claimed a batch at a time (claim-queue.server.ts),
 * so the work can be shared: train-chunk jobs on other replicas help (trainRunSeries). Interrupted by a
 * shutdown, the run is left PENDING and resumed where it was; a series is never trained twice in one
 * run (docs/decisions/0009).
 */
import { setTimeout } from "node:timers/promises";
import { formatDay } from "../days.js";
import { newestSalesDay } from "../forecasting/series-data.server.js";
import { BATCH_HORIZON_DAYS } from "../forecasting/weekly.server.js";
import { type ModelKind, modelConfig } from "../model/config.js";
import type { ModelPool } from "../model/pool.server.js";
import { MAX_LISTED_FAILURES, PipelineRun, type RunKind } from "../pipelines/runs.server.js";
import type { Database } from "../platform/db.server.js";
import { trainClaimedSeries } from "./claim-queue.server.js";
import { planSeries, type RunSummary, runProgress, summarizeRun, workerName } from "./claims.server.js";
import type { OutcomeListener } from "./series-trainer.server.js";
import { trainRunState, unfinishedRunOfJob } from "./train-runs.server.js";
import { type TrainWindow, windowOf, windowParams } from "./train-window.js";

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
  /** Each series this worker finishes (for metrics). */
  onOutcome?: OutcomeListener;
}

export interface TrainAllResult extends RunSummary {
  runId: number;
  /** PENDING: interrupted by a shutdown; the run resumes when its job runs again. */
  status: "SUCCEEDED" | "FAILED" | "STOPPED" | "PENDING";
  forecastFrom: string | null;
  forecastTo: string | null;
  durationMs: number;
}

/** Series claimed at a time by a worker of a train-all (a replica's share grows a batch at a time). */
export const TRAIN_BATCH_SERIES = 50;

/**
 * Runs (or resumes) a train-all: plans its series, asks for helpers, trains alongside them, then
 * waits for the series others hold, taking over any whose lease ran out. Ends SUCCEEDED, STOPPED
 * (cancelled), FAILED (rethrown), or PENDING when a shutdown interrupted it.
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
    run.log.info(`${total} series to train on ${window.config.trainDays} days up to ${formatDay(newest)}`, {
      series: total,
      worker,
    });

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
        const helpers = Math.min(MAX_HELPERS, Math.ceil(total / batchSize) - 1);
        await opts.requestHelpers(run.id, helpers);
        run.log.info(`asked for ${helpers} helpers (train-chunk jobs)`, { helpers });
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
          onOutcome: opts.onOutcome,
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
          await setTimeout(500, undefined, { signal: opts.signal }).catch(() => {});
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
    run.log.info(`${result.trained} trained, ${result.skipped} skipped, ${result.failed} failed`, {
      trained: result.trained,
      skipped: result.skipped,
      failed: result.failed,
      workers: result.workers,
    });
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
  opts: { signal?: AbortSignal; worker?: string; batchSize?: number; onOutcome?: OutcomeListener } = {},
): Promise<TrainRunSeriesResult> {
  const row = await trainRunState(db, runId);
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
    onOutcome: opts.onOutcome,
  });
  return { runId, finished };
}
