/**
 * The monitoring metrics (docs/decisions/0027, 0028, 0029), on the process's registry
 * (app/platform/metrics.server.ts): realized accuracy, degraded series and anomalous stores read at
 * scrape time from the sources server.ts hands to `setMetricSources` (declared below), automatic
 * retrains and series-days scored counted as they happen. The monitoring reads that feed them
 * (accuracy, anomalies, drift check, scoring) import this module, so loading one registers them.
 *
 * Kept on globalThis like the registry: the Remix server build bundles its own copy of this module,
 * and a metric name registers once.
 */
import { Counter } from "prom-client";
import { metricSources, optionalGauge, registry, sharedScrapeRead } from "../platform/metrics.server.js";

/** What the realized-accuracy gauges show (the window's numbers; null when nothing was scored). */
export interface RealizedSummary {
  rmspe: number | null;
  coverage: number | null;
  vsCv: number | null;
}

// This domain's scrape-time sources, declared into the platform's list so that platform/ names none.
declare module "../platform/metrics.server.js" {
  interface MetricSources {
    /** The fleet's realized accuracy over the last 7 days (accuracy.server.ts). */
    realized?: () => Promise<RealizedSummary>;
    /** How many series the drift check found degraded (drift-check.server.ts). */
    degraded?: () => Promise<number>;
    /** Stores the newest anomaly scan found unlike their peers; null before the first (anomalies.server.ts). */
    anomalousStores?: () => Promise<number | null>;
  }
}

/** storecast_auto_retrains_total's outcomes (auto-retrain.server.ts). */
export const AUTO_RETRAIN_OUTCOMES = [
  "requested",
  "failed",
  "helped",
  "same",
  "worse",
  "superseded",
  "rolled_back",
] as const;

function createMonitoringMetrics() {
  const sources = metricSources();

  // Drift (docs/decisions/0029): the degraded count is read at scrape time; retrains are counted.
  const drift = {
    degraded: optionalGauge({
      name: "storecast_degraded_series",
      help: "Series the latest drift check found degraded (realized error well above CV, persistent bias, or a level shift). Read from the database at scrape time.",
      read: () => sources.degraded?.(),
      what: "degraded series",
    }),
    autoRetrains: new Counter({
      name: "storecast_auto_retrains_total",
      help: "Automatic retrains by outcome: requested, failed (no new version), helped, same, worse (than the version before, over a full week), rolled_back.",
      labelNames: ["outcome"] as const,
      registers: [registry],
    }),
  };
  for (const outcome of AUTO_RETRAIN_OUTCOMES) drift.autoRetrains.inc({ outcome }, 0);

  // Anomalous stores (docs/decisions/0028): absent before the first scan.
  const anomalousStores = optionalGauge({
    name: "storecast_anomalous_stores",
    help: "Stores the newest daily anomaly scan found unlike their peers (weekly sales profile). Read from the database at scrape time; absent before the first scan.",
    read: () => sources.anomalousStores?.(),
    what: "anomaly scans",
  });

  // Realized accuracy (docs/decisions/0027): read from forecast_scores at scrape time, one query for
  // the three gauges; `window` is a fixed label ("7d") so alert rules can name it.
  const realizedOnce = sharedScrapeRead("realized accuracy", () => sources.realized);
  // No number rather than a stale one, and none while nothing was scored in the window.
  const realizedGauge = (name: string, help: string, pick: (s: RealizedSummary) => number | null) =>
    optionalGauge({
      name,
      help,
      labels: { window: "7d" },
      read: () => (sources.realized ? realizedOnce().then((s) => s && pick(s)) : undefined),
      what: "realized accuracy",
    });
  const realized = {
    rmspe: realizedGauge(
      "storecast_realized_rmspe",
      "Fleet realized RMSPE (fraction) of the forecasts in production, over days open on both sides with sales in the window (7d: the last 7 days, today included). Absent while none was scored.",
      (s) => s.rmspe,
    ),
    coverage: realizedGauge(
      "storecast_realized_interval_coverage",
      "Share of open days in the window whose actual fell inside the forecast's 95% interval (promised: 0.95).",
      (s) => s.coverage,
    ),
    vsCv: realizedGauge(
      "storecast_realized_vs_cv_ratio",
      "Fleet realized RMSPE over the window divided by the median CV RMSPE of the model versions scored in it (1: as promised).",
      (s) => s.vsCv,
    ),
    daysScored: new Counter({
      name: "storecast_forecast_days_scored_total",
      help: "Series-days scored against their actuals by this process: first scores and re-scores after a corrected actual or forecast (a re-sent actual counts nothing).",
      registers: [registry],
    }),
  };

  return { drift, anomalousStores, realized };
}

const KEY = Symbol.for("storecast.monitoring-metrics");
const holder = globalThis as { [KEY]?: ReturnType<typeof createMonitoringMetrics> };
holder[KEY] ??= createMonitoringMetrics();
const metrics = holder[KEY];

/** Counts what became of an automatic retrain (storecast_auto_retrains_total). */
export function recordAutoRetrain(outcome: (typeof AUTO_RETRAIN_OUTCOMES)[number]): void {
  metrics.drift.autoRetrains.inc({ outcome });
}

/** Series-days scored (storecast_forecast_days_scored_total), by scoring.server.ts. */
export function recordDaysScored(n: number): void {
  if (n > 0) metrics.realized.daysScored.inc(n);
}
