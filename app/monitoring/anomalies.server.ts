/**
 * Anomalous stores, once a day: every store's normalized weekly sales profile over a recent window
 * (weekly-profile.ts) is compared with its peers' (the stores trading on the same weekdays) by augurs'
 * MAD outlier detector; stores unlike their peers are stored with a score and why (store_anomalies),
 * one scan per day (store_anomaly_runs; a re-run of a day replaces it). See docs/decisions/0028.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { initSync, OutlierDetector } from "@bsull/augurs/outlier";
import { formatDay, parseDay } from "../days.js";
import type { Database } from "../platform/db.server.js";
// Registers the gauge this module's count feeds (storecast_anomalous_stores) wherever it is loaded.
import "./metrics.server.js";
import {
  explain,
  medianProfile,
  peerGroups,
  type StoreDay,
  tradedValues,
  type WeeklyProfile,
  weeklyProfiles,
} from "./weekly-profile.js";

export interface AnomalyOptions {
  /** Days of sales the profiles cover, ending on the scan day (default 28: four of each weekday). */
  windowDays: number;
  /** augurs' MAD sensitivity in (0, 1): higher flags more stores (default 0.3, ADR 28). */
  sensitivity: number;
  /** Groups of stores trading on the same weekdays smaller than this are not compared (default 10). */
  minPeers?: number;
}

export const DEFAULT_MIN_PEERS = 10;

export interface StoreAnomaly {
  store: number;
  /** The largest MAD score over the store's weekdays: how many MADs from its peers it strays. */
  score: number;
  reason: string;
  /** Index 0 = Monday; null where the store did not trade. */
  profile: (number | null)[];
  peerProfile: (number | null)[];
}

export interface Detection {
  /** Flagged stores, highest score first. */
  anomalies: StoreAnomaly[];
  /** Every compared store's score (flagged or not), by store. */
  scores: Map<number, number>;
  /** Stores compared with peers. */
  scanned: number;
  /** Stores with a profile but too few peers to compare with. */
  unpeered: number;
}

let loaded = false;

/** Loads augurs' outlier WASM once (synchronously, from the package's own file). */
function initOutlier(): void {
  if (loaded) return;
  const entry = createRequire(import.meta.url).resolve("@bsull/augurs/outlier");
  initSync({ module: readFileSync(path.join(path.dirname(entry), "outlier_bg.wasm")) });
  loaded = true;
}

/** Compares each peer group's profiles; pure apart from the WASM detector. */
export function detectAnomalies(profiles: readonly WeeklyProfile[], opts: AnomalyOptions): Detection {
  initOutlier();
  const minPeers = opts.minPeers ?? DEFAULT_MIN_PEERS;
  const anomalies: StoreAnomaly[] = [];
  const scores = new Map<number, number>();
  let scanned = 0;
  let unpeered = 0;
  for (const group of peerGroups(profiles)) {
    if (group.length < minPeers) {
      unpeered += group.length;
      continue;
    }
    scanned += group.length;
    const detector = OutlierDetector.mad({ sensitivity: opts.sensitivity });
    try {
      const out = detector.detect(group.map((p) => Float64Array.from(tradedValues(p))));
      const peers = medianProfile(group);
      const flagged = new Set(out.outlyingSeries);
      for (const [i, p] of group.entries()) {
        const perDay = out.seriesResults[i]?.scores ?? [];
        // A weekday every peer sells alike (MAD 0) scores non-finite: no evidence either way.
        const score = Math.max(0, ...perDay.filter(Number.isFinite));
        scores.set(p.store, score);
        if (flagged.has(i)) {
          anomalies.push({
            store: p.store,
            score,
            reason: explain(p.profile, peers, perDay),
            profile: p.profile,
            peerProfile: peers,
          });
        }
      }
    } finally {
      detector.free();
    }
  }
  anomalies.sort((a, b) => b.score - a.score || a.store - b.store);
  return { anomalies, scores, scanned, unpeered };
}

/** Each store's sales per day (products summed) over the `windowDays` ending on `day`. */
export async function loadStoreDays(db: Database, day: number, windowDays: number): Promise<StoreDay[]> {
  const rows = await db.sql.query<{ store: number; day: number; sales: number; open: number }>(
    `SELECT store, (date - DATE '1970-01-01')::int AS day, sum(sales)::float8 AS sales, max(open)::int AS open
       FROM rossman_sales
      WHERE date > DATE '1970-01-01' + $1::int - $2::int AND date <= DATE '1970-01-01' + $1::int
      GROUP BY store, date`,
    [day, windowDays],
  );
  return rows.map((r) => ({ store: r.store, day: r.day, sales: r.sales, open: r.open === 1 }));
}

export interface AnomalyScan {
  /** The day scanned (YYYY-MM-DD): the window ends on it. */
  day: string;
  windowDays: number;
  sensitivity: number;
  storesScanned: number;
  anomalous: number;
  /** Stores left out for having too few peers. */
  unpeered: number;
  durationMs: number;
  anomalies: StoreAnomaly[];
}

/** Scans `day` (days since 1970-01-01) and stores the result, replacing an earlier scan of that day. */
export async function scanAnomalies(db: Database, day: number, opts: AnomalyOptions): Promise<AnomalyScan> {
  const started = performance.now();
  const detection = detectAnomalies(weeklyProfiles(await loadStoreDays(db, day, opts.windowDays)), opts);
  const durationMs = Math.round(performance.now() - started);
  const date = new Date(`${formatDay(day)}T00:00:00Z`);
  const { anomalies } = detection;
  await db.prisma.$transaction([
    db.prisma.storeAnomalyRun.deleteMany({ where: { run_date: date } }),
    db.prisma.storeAnomalyRun.create({
      data: {
        run_date: date,
        window_days: opts.windowDays,
        sensitivity: opts.sensitivity,
        stores_scanned: detection.scanned,
        anomalous: anomalies.length,
        duration_ms: durationMs,
      },
    }),
    db.prisma.storeAnomaly.createMany({
      data: anomalies.map((a) => ({
        run_date: date,
        store: a.store,
        score: a.score,
        reason: a.reason,
        profile: a.profile,
        peer_profile: a.peerProfile,
      })),
    }),
  ]);
  return {
    day: formatDay(day),
    windowDays: opts.windowDays,
    sensitivity: opts.sensitivity,
    storesScanned: detection.scanned,
    anomalous: anomalies.length,
    unpeered: detection.unpeered,
    durationMs,
    anomalies,
  };
}

export interface LatestAnomalies {
  day: string;
  windowDays: number;
  storesScanned: number;
  scannedAt: string;
  /** Highest score first. */
  stores: {
    store: number;
    score: number;
    reason: string;
    profile: (number | null)[];
    peerProfile: (number | null)[];
  }[];
}

/** The newest scan and its stores; null before the first scan. */
export async function latestAnomalies(db: Database): Promise<LatestAnomalies | null> {
  const run = await db.prisma.storeAnomalyRun.findFirst({
    orderBy: { run_date: "desc" },
    include: { anomalies: { orderBy: [{ score: "desc" }, { store: "asc" }] } },
  });
  if (!run) return null;
  return {
    day: run.run_date.toISOString().slice(0, 10),
    windowDays: run.window_days,
    storesScanned: run.stores_scanned,
    scannedAt: run.scanned_at.toISOString(),
    stores: run.anomalies.map((a) => ({
      store: a.store,
      score: a.score,
      reason: a.reason,
      profile: a.profile as (number | null)[],
      peerProfile: a.peer_profile as (number | null)[],
    })),
  };
}

/** How many stores the newest scan found (storecast_anomalous_stores); null before the first scan. */
export async function latestAnomalousCount(db: Database): Promise<number | null> {
  const run = await db.prisma.storeAnomalyRun.findFirst({ orderBy: { run_date: "desc" }, select: { anomalous: true } });
  return run?.anomalous ?? null;
}

/** The day a job scans: `day` (YYYY-MM-DD) or `daysAgo` before `now` (UTC); default yesterday. */
export function scanDay(data: { day?: string; daysAgo?: number }, now = Date.now()): number {
  if (data.day !== undefined) {
    const d = parseDay(data.day);
    if (d === undefined) throw new RangeError(`day: expected a date YYYY-MM-DD (got ${JSON.stringify(data.day)})`);
    return d;
  }
  return Math.floor(now / 86_400_000) - (data.daysAgo ?? 1);
}
