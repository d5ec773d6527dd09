/**
 * One worker's pass over a train-all run: it claims a batch of the run's series (`train_series`),
 * hands them to the series trainer on the model threads, and claims the next batch, until nothing
 * is left to claim. The next batch is claimed and its history loaded while the last series of the
 * current one finish. Leases are renewed meanwhile; a run cancelled elsewhere stops it. Whatever it
 * claimed and did not finish is handed back when it returns or throws (docs/decisions/0009).
 */
import { loadHistories } from "../forecasting/series-data.server.js";
import { weekAfter } from "../forecasting/weekly.server.js";
import type { ModelPool } from "../model/pool.server.js";
import { RunLogWriter } from "../pipelines/run-log.server.js";
import type { Database } from "../platform/db.server.js";
import { seriesId } from "../series.js";
import { CLAIM_LEASE_MS, claimSeries, releaseClaims, renewClaims, trainedInRun } from "./claims.server.js";
import { type ClaimedWork, type OutcomeListener, type SeriesTrainer, trainClaimed } from "./series-trainer.server.js";
import type { TrainWindow } from "./train-window.js";

export interface PassOptions {
  runId: number;
  window: TrainWindow & { newest: number };
  worker: string;
  signal?: AbortSignal;
  batchSize: number;
  /** Called after each series this worker finishes. */
  onSeriesDone?: () => void;
  onOutcome?: OutcomeListener;
  /** Errors after the fit, by series, across this worker's passes (see SeriesTrainer.errors). */
  errors?: Map<string, number>;
}

/** Trains claimed series until none is left to claim; returns how many this worker finished. */
export async function trainClaimedSeries(db: Database, pool: ModelPool, opts: PassOptions): Promise<number> {
  const { runId, worker, window } = opts;
  const { config, newest } = window;
  const fromDay = newest - config.trainDays;
  const week = await weekAfter(db, newest);
  const trainer: SeriesTrainer = {
    db,
    pool,
    runId,
    worker,
    config,
    forecastDates: week.dates,
    calendars: week.calendars,
    errors: opts.errors ?? new Map<string, number>(),
    onOutcome: opts.onOutcome,
    // Its own writer: a train-chunk helper on another replica writes to the same run's log.
    log: new RunLogWriter(db, runId),
  };
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

  const ready: ClaimedWork[] = [];
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
  const next = async (): Promise<ClaimedWork | null> => {
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
  try {
    // Twice the threads: while one series waits on the database, its thread has the next one.
    // allSettled: one runner's error must not release claims while the others still train; the
    // others stop taking series (local abort) and finish the ones they hold first.
    const runners = await Promise.allSettled(
      Array.from({ length: Math.max(1, pool.threads * 2) }, async () => {
        try {
          for (let item = await next(); item; item = await next()) {
            if (!(await trainClaimed(trainer, item))) continue;
            finished++;
            opts.onSeriesDone?.();
          }
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
    await trainer.log?.close();
  }
  return finished;
}
