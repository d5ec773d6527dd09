/**
 * Forecast monitoring against a simulated reality (issue 15, "test it against reality"): generated
 * stores, some of which change after training (a level shift, a changed weekday pattern, a promo
 * that stops lifting sales: app/sales/generator/store-events.ts). History up to yesterday is loaded
 * and every series trained; then the following days' actuals arrive one day at a time through the
 * stream consumer's path (ingestBatch, then scoreActuals), each night the drift check runs and the
 * retraining policy acts, its retrains run as real train-one jobs, and every seventh day the weekly
 * train-all runs as TRAIN_CRON would. The streamed days lie after today, so every forecast was
 * written before its day, as in production. What was flagged when, and how each forecast did, is
 * read back for the e2e test and bench:monitoring.
 */
import pino from "pino";
import { DAY_MS, formatDay, isoWeekday, parseDay, todayDay } from "../../app/days.js";
import { batchForecast } from "../../app/forecasting/batch.server.js";
import { createInProcessQueue } from "../../app/jobs/in-process.server.js";
import type { JobHandlers, JobQueue } from "../../app/jobs/port.js";
import type { ModelPool } from "../../app/model/pool.server.js";
import { applyPolicy, judgePending, listAutoRetrains } from "../../app/monitoring/auto-retrain.server.js";
import {
  DEFAULT_DRIFT_CHECK,
  type DriftCheckSettings,
  runDriftCheck,
} from "../../app/monitoring/drift-check.server.js";
import type { DriftReason } from "../../app/monitoring/drift-rules.js";
import { type AutoRetrainMode, DEFAULT_POLICY } from "../../app/monitoring/retrain-policy.js";
import { scoreActuals } from "../../app/monitoring/scoring.server.js";
import type { Database } from "../../app/platform/db.server.js";
import type { SalesRow } from "../../app/rossmann.js";
import { generateSalesDays } from "../../app/sales/generator/sales-model.js";
import {
  affectedStores,
  type Injection,
  injectionEvents,
  type StoreEvent,
  storeEffects,
} from "../../app/sales/generator/store-events.js";
import { ingestBatch } from "../../app/sales/ingest.server.js";
import { recordMessage, todayRecord } from "../../app/sales/stream-records.js";
import { intArray, textArray } from "../../app/sales/upsert.server.js";
import { trainingJobHandlers } from "../../app/training/jobs.server.js";
import { trainAll } from "../../app/training/train-all.server.js";
import { writeSalesRows } from "./anomaly-data.js";

/** An injection whose `from` is a streamed day's index (0: the first day after training). */
export type WorldInjection = { fromDay: number } & ({ stores: readonly number[] } | { share: number; seed: number }) &
  ({ kind: "level"; factor: number } | { kind: "weekday"; factors: readonly number[] } | { kind: "promo-stops" });

export interface WorldOptions {
  stores: number;
  seed: number;
  /** Days of actuals streamed after the first training. */
  streamDays: number;
  injections: readonly WorldInjection[];
  /** The retraining policy (AUTO_RETRAIN); retrains are not rate-limited by the hour here (days pass in seconds). */
  policy: AutoRetrainMode;
  /** Share of the fleet retraining automatically at once, at most (AUTO_RETRAIN_MAX_SHARE). */
  maxShare?: number;
  /**
   * Every seventh streamed day: the weekly train-all (TRAIN_CRON, the default), or only a batch
   * forecast of the next week from the versions in production (to see what the policy alone does).
   */
  weekly?: "train" | "forecast";
  drift?: DriftCheckSettings;
  /** Days of history before the first streamed day (default 150: the model trains on 120). */
  historyDays?: number;
  /**
   * The generated day the first streamed day is taken from (default 2027-09-07): the world's sales
   * are generated around it and moved by whole weeks to start tomorrow, so what is measured does not
   * depend on the season the test runs in (December's rush is another test).
   */
  season?: string;
  onProgress?: (what: string) => void;
  /** Called after each night's drift check (its streamed day index), before the policy acts. */
  afterCheck?: (index: number) => Promise<void>;
}

export interface SeriesTimeline {
  store: number;
  /** The streamed day index of the first drift check that flagged it (after that day's actuals), or null. */
  firstFlagged: number | null;
  /** Why, at that first flag. */
  reasons: DriftReason[];
  /** Every night (streamed day index) it was flagged. */
  flagged: number[];
}

export interface WorldResult {
  /** The first streamed day (days since 1970-01-01). */
  firstDay: number;
  events: StoreEvent[];
  /** Stores each kind of injection changed. */
  affected: ReturnType<typeof affectedStores>;
  /**
   * Per changed store, the streamed day index its sales first differed on (a promo that stops
   * shows on the first promo day after it; a weekday change on the first Monday or Saturday).
   */
  changedFrom: Map<number, number>;
  series: Map<number, SeriesTimeline>;
  /** Per store, the scored (open, forecast open) days' signed % errors by streamed day index. */
  errors: Map<number, Map<number, number>>;
  autoRetrains: Awaited<ReturnType<typeof listAutoRetrains>>;
}

const PRODUCT = "product_A";

/** Writes the plan (store_calendar) of these rows: what is known in advance of a day. */
async function writeCalendar(db: Database, rows: readonly SalesRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const c = rows.slice(i, i + 10_000);
    await db.sql.query(
      `INSERT INTO store_calendar (store, date, dayofweek, open, promo, stateholiday, schoolholiday)
       SELECT u.store, DATE '1970-01-01' + u.day, u.dow, u.open, u.promo, u.holiday, u.school
         FROM unnest($1::int[], $2::int[], $3::smallint[], $4::smallint[], $5::smallint[], $6::varchar[], $7::smallint[])
           AS u(store, day, dow, open, promo, holiday, school)
       ON CONFLICT (store, date) DO NOTHING`,
      [
        intArray(c.map((r) => r.store)),
        intArray(c.map((r) => parseDay(r.date)!)),
        intArray(c.map((r) => r.dayofweek)),
        intArray(c.map((r) => r.open)),
        intArray(c.map((r) => r.promo)),
        textArray(c.map((r) => r.stateholiday)),
        intArray(c.map((r) => r.schoolholiday)),
      ],
    );
  }
}

/** Resolves once none of `ids` is queued or running. */
async function settle(jobs: JobQueue, ids: readonly string[]): Promise<void> {
  for (const id of ids) {
    for (;;) {
      const job = await jobs.get(id);
      if (!job || job.status === "SUCCEEDED" || job.status === "FAILED" || job.status === "STOPPED") break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Runs the world on `db` (fresh: migrated, no sales) with `pool`'s model threads. */
export async function runWorld(db: Database, pool: ModelPool, opts: WorldOptions): Promise<WorldResult> {
  const say = opts.onProgress ?? (() => {});
  const firstDay = todayDay() + 1;
  const lastStreamed = firstDay + opts.streamDays - 1;
  const historyDays = opts.historyDays ?? 150;
  const seasonDay = parseDay(opts.season ?? "2027-09-07");
  if (seasonDay === undefined) throw new RangeError(`season: expected YYYY-MM-DD (got ${opts.season})`);
  // Whole weeks, so every day keeps its weekday.
  const shift = 7 * Math.round((seasonDay - firstDay) / 7);
  const injections: Injection[] = opts.injections.map(({ fromDay, ...rest }) => ({
    ...rest,
    from: formatDay(firstDay + shift + fromDay),
  })) as Injection[];
  const generatedEvents = injectionEvents(injections, opts.stores);
  const events = generatedEvents.map((e) => ({ ...e, from: formatDay(parseDay(e.from)! - shift) }));

  // Sales to a week past the last streamed day: the days after it are only ever a plan.
  const history: SalesRow[] = [];
  const byDay = new Map<number, SalesRow[]>();
  for (const day of generateSalesDays({
    stores: opts.stores,
    products: 1,
    days: historyDays + opts.streamDays + 8,
    endDate: formatDay(lastStreamed + 8 + shift),
    seed: opts.seed,
    events: generatedEvents,
  })) {
    const d = parseDay(day.date)! - shift;
    const rows = day.rows.map((r) => ({ ...r, date: formatDay(d) }));
    if (d < firstDay) history.push(...rows);
    else byDay.set(d, rows);
  }
  const effectsOf = storeEffects(events);
  const changedFrom = new Map<number, number>();
  for (let i = 0; i < opts.streamDays; i++) {
    const day = firstDay + i;
    for (const r of byDay.get(day) ?? []) {
      if (changedFrom.has(r.store) || r.open !== 1) continue;
      // Any lift other than 1 shows whether the promo effect applies.
      if (effectsOf(r.store).factor(day, isoWeekday(day), r.promo === 1, 2) !== 1) changedFrom.set(r.store, i);
    }
  }
  await writeSalesRows(db, history);
  await writeCalendar(db, [...byDay.values()].flat());
  say(`loaded ${history.length} history rows; training ${opts.stores} series`);

  const log = pino({ level: "silent" });
  const jobs = createInProcessQueue();
  const handlers = trainingJobHandlers({ db, models: pool, config: {}, log });
  await jobs.startWorkers(handlers as unknown as JobHandlers, { concurrency: 2 });
  const first = await trainAll(db, pool, { runKind: "train-all" });
  if (first.status !== "SUCCEEDED") throw new Error(`the first training ${first.status}`);

  const series = new Map<number, SeriesTimeline>();
  for (let s = 1; s <= opts.stores; s++) series.set(s, { store: s, firstFlagged: null, reasons: [], flagged: [] });
  const settings = { ...DEFAULT_POLICY, mode: opts.policy, perHour: 1_000_000, maxShare: opts.maxShare ?? 0.1 };
  try {
    for (let i = 0; i < opts.streamDays; i++) {
      const day = firstDay + i;
      if (i > 0 && i % 7 === 0) {
        const weekly =
          opts.weekly === "forecast"
            ? await batchForecast(db, pool)
            : await trainAll(db, pool, { runKind: "train-weekly" });
        if (weekly.status !== "SUCCEEDED") throw new Error(`the weekly run ${weekly.status}`);
      }
      // The day's records, through the stream consumer's own path.
      const rows = byDay.get(day) ?? [];
      const at = String(day * DAY_MS + 20 * 3_600_000);
      const ingested = await ingestBatch(
        db,
        {
          topic: "sales",
          partition: 0,
          messages: rows.map((r, k) => ({
            key: String(r.store),
            value: Buffer.from(recordMessage(todayRecord(r, day)).value),
            offset: String(i * 100_000 + k),
            timestamp: at,
          })),
        },
        { now: day * DAY_MS + 20 * 3_600_000 },
      );
      if (ingested.rejected > 0) throw new Error(`${ingested.rejected} streamed records rejected on ${formatDay(day)}`);
      await scoreActuals(db, ingested.keys);

      // The night's drift check, then the policy; its retrains run before the next day arrives.
      const check = await runDriftCheck(db, opts.drift ?? DEFAULT_DRIFT_CHECK);
      for (const d of check.degraded) {
        const t = series.get(d.store)!;
        t.flagged.push(i);
        if (t.firstFlagged === null) {
          t.firstFlagged = i;
          t.reasons = d.reasons;
        }
      }
      await opts.afterCheck?.(i);
      const deps = { db, jobs };
      await applyPolicy(deps, check, settings);
      const queued = (await listAutoRetrains(db, { limit: 100_000 })).filter((r) => r.verdict === "pending");
      await settle(
        jobs,
        queued.flatMap((r) => (r.jobId ? [r.jobId] : [])),
      );
      await judgePending(deps, opts.policy === "on");
      say(`day ${i + 1}/${opts.streamDays}: ${check.degraded.length} degraded`);
    }
  } finally {
    await jobs.close(60_000);
  }

  const scored = await db.sql.query<{ store: number; day: number; pct: number }>(
    `SELECT store, (date - DATE '1970-01-01')::int AS day, pct_error AS pct FROM forecast_scores
      WHERE productname = $1 AND pct_error IS NOT NULL AND date >= $2::date`,
    [PRODUCT, formatDay(firstDay)],
  );
  const errors = new Map<number, Map<number, number>>();
  for (const r of scored) {
    const m = errors.get(r.store) ?? new Map<number, number>();
    m.set(r.day - firstDay, r.pct);
    errors.set(r.store, m);
  }
  return {
    firstDay,
    events,
    affected: affectedStores(events),
    changedFrom,
    series,
    errors,
    autoRetrains: await listAutoRetrains(db, { limit: 100_000 }),
  };
}

const rmspe = (xs: readonly number[]) =>
  xs.length === 0 ? null : Math.sqrt(xs.reduce((s, x) => s + x * x, 0) / xs.length);

/** Realized RMSPE of `stores` over the streamed days [from, to] (indexes), pooled. */
export function pooledRmspe(world: WorldResult, stores: readonly number[], from: number, to: number): number | null {
  const xs: number[] = [];
  for (const s of stores) {
    for (const [i, pct] of world.errors.get(s) ?? []) if (i >= from && i <= to) xs.push(pct);
  }
  return rmspe(xs);
}

export interface DetectionFigures {
  /** Per kind and for all changed stores: how many, how many flagged within `within` days, median delay. */
  byKind: Record<string, { stores: number; detected: number; recall: number; medianDelay: number | null }>;
  /** Unchanged stores flagged at any time, and changed ones flagged before their change: how many, share. */
  falsePositives: number;
  falsePositiveRate: number;
}

/**
 * Detection against the truth: a changed store's delay is how many days of changed sales the check
 * had seen on the first night it flagged it once the change showed (1: the change's first day).
 * Detected when that is at most `within`; a store whose change never showed in the streamed days is
 * left out. A store flagged before its change is also a false positive.
 */
export function detectionFigures(world: WorldResult, within: number): DetectionFigures {
  const kinds = new Map<string, number[]>();
  for (const e of world.events) {
    if (!world.changedFrom.has(e.store)) continue;
    const list = kinds.get(e.kind) ?? [];
    if (!list.includes(e.store)) list.push(e.store);
    kinds.set(e.kind, list);
  }
  kinds.set("all", [...world.changedFrom.keys()]);
  const byKind: DetectionFigures["byKind"] = {};
  for (const [kind, stores] of kinds) {
    const delays: number[] = [];
    for (const s of stores) {
      // The first night on or after the change showed that flagged it (a flag before is a false positive).
      const from = world.changedFrom.get(s)!;
      const night = world.series.get(s)!.flagged.find((n) => n >= from);
      if (night === undefined) continue;
      const delay = night - from + 1;
      if (delay <= within) delays.push(delay);
    }
    delays.sort((a, b) => a - b);
    byKind[kind] = {
      stores: stores.length,
      detected: delays.length,
      recall: stores.length ? delays.length / stores.length : 1,
      medianDelay: delays.length ? delays[Math.floor(delays.length / 2)]! : null,
    };
  }
  let falsePositives = 0;
  let candidates = 0;
  const touched = new Set(world.events.map((e) => e.store));
  for (const [s, t] of world.series) {
    const from = world.changedFrom.get(s);
    if (touched.has(s) && from === undefined) continue;
    if (from === undefined) {
      candidates++;
      if (t.firstFlagged !== null) falsePositives++;
    } else if (t.firstFlagged !== null && t.firstFlagged < from) {
      candidates++;
      falsePositives++;
    }
  }
  return { byKind, falsePositives, falsePositiveRate: falsePositives / Math.max(1, candidates) };
}
