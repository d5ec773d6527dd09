/**
 * The automatic retraining policy carried out (docs/decisions/0029): degraded series retrained
 * (AUTO_RETRAIN=on) or listed as suggestions (suggest), each request recorded in auto_retrains
 * with why; afterwards, once the new version has a full week scored, whether it helped, and a
 * version that did worse than the one before rolled back (on) or flagged (suggest).
 */
import type { Logger } from "pino";
import { recordAudit } from "../audit/log.server.js";
import { POLICY_PRINCIPAL } from "../auth/principal.js";
import { formatDay, parseDay } from "../days.js";
import { dedupeKeyOf, enqueueOnce } from "../jobs/dedupe.js";
import { FINAL_JOB_STATUSES, type JobQueue } from "../jobs/port.js";
import type { Database } from "../platform/db.server.js";
import { promoteVersion } from "../registry/register.server.js";
import { type SeriesKey, seriesId } from "../series.js";
import { sameDaysError } from "./counterfactual.server.js";
import type { DriftCheck, SeriesDriftResult } from "./drift-check.server.js";
import { recordActions } from "./drift-check.server.js";
import {
  type Candidate,
  judgeRetrain,
  type PolicySettings,
  planRetrains,
  type Verdict,
  type WeekError,
} from "./retrain-policy.js";

/** What became of automatic retrains (storecast_auto_retrains_total{outcome}). */
export type RetrainOutcome = "requested" | "failed" | "superseded" | Exclude<Verdict, "pending"> | "rolled_back";

export interface PolicyDeps {
  db: Database;
  jobs: Pick<JobQueue, "enqueue" | "findActive" | "get">;
  log?: Pick<Logger, "info" | "warn">;
  onOutcome?: (outcome: RetrainOutcome) => void;
}

export interface PolicyReport {
  queued: number;
  suggested: number;
  skipped: number;
  judged: { helped: number; same: number; worse: number; failed: number; superseded: number; rolledBack: number };
}

interface LastRetrainRow extends SeriesKey {
  verdict: string;
  new_version: number | null;
  old_version: number | null;
  rolled_back: boolean;
  production: number;
}

const severityOf = (r: SeriesDriftResult): number =>
  r.realizedRmspe !== null && r.cvRmspe !== null && r.cvRmspe > 0 ? r.realizedRmspe / r.cvRmspe : 1;

/** Plans and carries out retrains for the degraded series of a drift check (as of its newest day of actuals). */
export async function applyPolicy(
  deps: PolicyDeps,
  check: Pick<DriftCheck, "asOf" | "degraded">,
  settings: PolicySettings,
): Promise<Pick<PolicyReport, "queued" | "suggested" | "skipped">> {
  const { db, jobs } = deps;
  const { degraded } = check;
  const [state] = await db.sql.query<{ fleet: number; active: number; last_hour: number }>(
    `SELECT (SELECT count(*)::int FROM model_versions WHERE stage = 'production') AS fleet,
            (SELECT count(*)::int FROM auto_retrains WHERE verdict = 'pending' AND new_version IS NULL) AS active,
            (SELECT count(*)::int FROM auto_retrains WHERE requested_at > now() - interval '1 hour') AS last_hour`,
  );
  const awaiting = await db.sql.query<SeriesKey>(
    "SELECT DISTINCT store, productname FROM auto_retrains WHERE verdict = 'pending'",
  );
  const busy = new Set(awaiting.map(seriesId));
  // The newest judged automatic retrain of each series, against what is in production now.
  const judgedLast = await db.sql.query<LastRetrainRow>(
    `SELECT DISTINCT ON (a.store, a.productname) a.store, a.productname, a.verdict, a.new_version, a.old_version,
            a.rolled_back, v.version AS production
       FROM auto_retrains a
       JOIN registered_models m ON m.store = a.store AND m.productname = a.productname
       JOIN model_versions v ON v.model_id = m.id AND v.stage = 'production'
      WHERE a.verdict <> 'pending'
      ORDER BY a.store, a.productname, a.id DESC`,
  );
  const unhelped = new Set(
    judgedLast
      .filter(
        (r) =>
          (r.verdict === "same" || r.verdict === "worse") &&
          (r.new_version === r.production || (r.rolled_back && r.old_version === r.production)),
      )
      .map(seriesId),
  );
  for (const d of degraded) {
    if (!busy.has(seriesId(d)) && (await jobs.findActive(dedupeKeyOf("train-one", d)))) busy.add(seriesId(d));
  }
  const bySeries = new Map(degraded.map((d) => [seriesId(d), d]));
  // How long each has been degraded: its spell's first night (series_drift.since) to this one.
  const spells = await db.sql.query<SeriesKey & { nights: number }>(
    `SELECT store, productname, ($1::date - since + 1)::int AS nights FROM series_drift
      WHERE state = 'degraded' AND since IS NOT NULL`,
    [check.asOf],
  );
  const nightsOf = new Map(spells.map((r) => [seriesId(r), r.nights]));
  const candidates: Candidate[] = degraded.map((d) => ({
    series: seriesId(d),
    severity: severityOf(d),
    degradedDays: nightsOf.get(seriesId(d)) ?? 1,
  }));
  const plan = planRetrains(
    candidates,
    { fleet: state?.fleet ?? 0, active: state?.active ?? 0, lastHour: state?.last_hour ?? 0, busy, unhelped },
    settings,
  );

  const actions: { series: SeriesKey; action: string }[] = [];
  for (const c of plan.queue) {
    const d = bySeries.get(c.series)!;
    const key = { store: d.store, productname: d.productname };
    const job = await enqueueOnce(jobs, "train-one", key);
    const [old] = await db.sql.query<{ version: number }>(
      `SELECT v.version FROM model_versions v JOIN registered_models m ON m.id = v.model_id
        WHERE m.store = $1 AND m.productname = $2 AND v.stage = 'production'`,
      [d.store, d.productname],
    );
    await db.sql.query(
      `INSERT INTO auto_retrains (store, productname, reasons, job_id, old_version, as_of)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6::date)`,
      [d.store, d.productname, JSON.stringify(d.reasons), job.id, old?.version ?? null, check.asOf],
    );
    await recordAudit(db, {
      actor: POLICY_PRINCIPAL,
      action: "model.auto-retrain",
      target: `store ${d.store} product ${d.productname}`,
      detail: { job_id: job.id, reasons: d.reasons.map((r) => r.kind) },
    });
    deps.onOutcome?.("requested");
    actions.push({ series: key, action: "queued" });
  }
  for (const s of plan.skipped) {
    const d = bySeries.get(s.candidate.series)!;
    actions.push({ series: { store: d.store, productname: d.productname }, action: s.why });
  }
  await recordActions(db, actions);
  const suggested = plan.skipped.filter((s) => s.why === "suggested").length;
  deps.log?.info({ queued: plan.queue.length, suggested, skipped: plan.skipped.length - suggested }, "auto-retrain");
  return { queued: plan.queue.length, suggested, skipped: plan.skipped.length - suggested };
}

interface PendingRow {
  id: number;
  store: number;
  productname: string;
  job_id: string | null;
  old_version: number | null;
  new_version: number | null;
  /** The newest day of actuals when it was asked for. */
  as_of: string;
  /** The series' production version now. */
  production: number | null;
}

/** Realized RMSPE of one version of a series over [from, to] (days as YYYY-MM-DD). */
async function versionError(
  db: Pick<Database, "sql">,
  key: SeriesKey,
  version: number,
  from: string,
  to: string,
): Promise<WeekError> {
  const [row] = await db.sql.query<{ rmspe: number | null; days: number }>(
    `SELECT sqrt(avg(pct_error * pct_error)) AS rmspe, count(pct_error)::int AS days
       FROM forecast_scores
      WHERE store = $1 AND productname = $2 AND model_version = $3 AND date BETWEEN $4::date AND $5::date`,
    [key.store, key.productname, version, from, to],
  );
  return { rmspe: row?.rmspe ?? null, days: row?.days ?? 0 };
}

/** Open days of a retrain's new version scored before its verdict: a week. */
const FULL_WEEK_DAYS = 6;
/** Fewest open days a version replaced early (by the weekly training, a person) is judged on. */
const SUPERSEDED_MIN_DAYS = 3;

/**
 * Settles the automatic retrains still pending: a finished job names the version it made; a version
 * with a full week scored gets its verdict against what the old version would have scored on the
 * same days (counterfactual.server.ts; its own last week before the request if it cannot say); a
 * worse one is rolled back when `rollBack` (AUTO_RETRAIN=on), flagged otherwise. A version replaced
 * before its full week is judged on the days it had (at least SUPERSEDED_MIN_DAYS), else `superseded`;
 * it is never rolled back, since that would undo its successor.
 */
export async function judgePending(deps: PolicyDeps, rollBack: boolean): Promise<PolicyReport["judged"]> {
  const { db, jobs } = deps;
  const judged = { helped: 0, same: 0, worse: 0, failed: 0, superseded: 0, rolledBack: 0 };
  const pending = await db.sql.query<PendingRow>(
    `SELECT a.id, a.store, a.productname, a.job_id, a.old_version, a.new_version,
            coalesce(a.as_of, (a.requested_at AT TIME ZONE 'UTC')::date - 1)::text AS as_of,
            (SELECT v.version FROM model_versions v JOIN registered_models m ON m.id = v.model_id
              WHERE m.store = a.store AND m.productname = a.productname AND v.stage = 'production') AS production
       FROM auto_retrains a WHERE a.verdict = 'pending' ORDER BY a.id`,
  );
  for (const p of pending) {
    const key = { store: p.store, productname: p.productname };
    let newVersion = p.new_version;
    if (newVersion === null) {
      const job = p.job_id ? await jobs.get(p.job_id) : null;
      if (job && !FINAL_JOB_STATUSES.has(job.status)) continue;
      // The version the job says it made; else the first made after the request (a later one is
      // the weekly training's or a person's).
      const fromJob = (job?.result as { modelVersion?: unknown } | null)?.modelVersion;
      const [made] =
        typeof fromJob === "number"
          ? [{ version: fromJob }]
          : await db.sql.query<{ version: number }>(
              `SELECT min(v.version)::int AS version FROM model_versions v JOIN registered_models m ON m.id = v.model_id
          WHERE m.store = $1 AND m.productname = $2 AND v.created_at >= (SELECT requested_at FROM auto_retrains WHERE id = $3)`,
              [p.store, p.productname, p.id],
            );
      if (!made?.version) {
        // The job failed, was stopped, or is gone: nothing to judge.
        await db.sql.query("UPDATE auto_retrains SET verdict = 'failed', judged_at = now() WHERE id = $1", [p.id]);
        judged.failed++;
        deps.onOutcome?.("failed");
        continue;
      }
      newVersion = made.version;
      await db.sql.query("UPDATE auto_retrains SET new_version = $2 WHERE id = $1", [p.id, newVersion]);
    }
    const asOf = parseDay(p.as_of)!;
    const from = formatDay(asOf + 1);
    const to = formatDay(asOf + 14);
    const after = await versionError(db, key, newVersion, from, to);
    // Replaced by a newer version (and not by our own rollback): it will get no more days.
    const superseded = p.production !== null && p.production > newVersion;
    const fullWeek = superseded ? Math.min(FULL_WEEK_DAYS, Math.max(after.days, SUPERSEDED_MIN_DAYS)) : FULL_WEEK_DAYS;
    if (after.days < fullWeek) {
      if (!superseded) continue;
      await db.sql.query("UPDATE auto_retrains SET verdict = 'superseded', judged_at = now() WHERE id = $1", [p.id]);
      judged.superseded++;
      deps.onOutcome?.("superseded");
      continue;
    }
    // The old version on the same days (its forecast for them now); else its own last week before the request.
    let before: WeekError = { rmspe: null, days: 0 };
    if (p.old_version !== null) {
      before = (await sameDaysError(db, key, p.old_version, newVersion, from, to)).older;
      if (before.rmspe === null) {
        before = await versionError(db, key, p.old_version, formatDay(asOf - 6), formatDay(asOf));
      }
    }
    const verdict = judgeRetrain(before, after, fullWeek);
    if (verdict === "pending") continue;
    let rolledBack = false;
    if (verdict === "worse" && rollBack && p.old_version !== null && p.production === newVersion) {
      await promoteVersion(db, p.store, p.productname, p.old_version);
      await recordAudit(db, {
        actor: POLICY_PRINCIPAL,
        action: "model.auto-rollback",
        target: `store ${p.store} product ${p.productname} version ${p.old_version}`,
        detail: { from_version: newVersion, before_rmspe: before.rmspe, after_rmspe: after.rmspe },
      });
      rolledBack = true;
    }
    await db.sql.query(
      `UPDATE auto_retrains SET verdict = $2, before_rmspe = $3, after_rmspe = $4, judged_at = now(), rolled_back = $5
        WHERE id = $1`,
      [p.id, verdict, before.rmspe, after.rmspe, rolledBack],
    );
    judged[verdict]++;
    deps.onOutcome?.(verdict);
    if (rolledBack) {
      judged.rolledBack++;
      deps.onOutcome?.("rolled_back");
    }
  }
  return judged;
}

export interface AutoRetrainRow extends SeriesKey {
  id: number;
  requestedAt: Date;
  reasons: unknown;
  jobId: string | null;
  oldVersion: number | null;
  newVersion: number | null;
  verdict: string;
  beforeRmspe: number | null;
  afterRmspe: number | null;
  rolledBack: boolean;
}

/** The newest automatic retrains (of one series when `key` is given). */
export async function listAutoRetrains(
  db: Pick<Database, "sql">,
  opts: { key?: SeriesKey; limit?: number } = {},
): Promise<AutoRetrainRow[]> {
  const rows = await db.sql.query<{
    id: number;
    store: number;
    productname: string;
    requested_at: Date;
    reasons: unknown;
    job_id: string | null;
    old_version: number | null;
    new_version: number | null;
    verdict: string;
    before_rmspe: number | null;
    after_rmspe: number | null;
    rolled_back: boolean;
  }>(
    `SELECT * FROM auto_retrains
      WHERE ($1::int IS NULL OR (store = $1 AND productname = $2))
      ORDER BY id DESC LIMIT $3`,
    [opts.key?.store ?? null, opts.key?.productname ?? null, opts.limit ?? 100],
  );
  return rows.map((r) => ({
    id: r.id,
    store: r.store,
    productname: r.productname,
    requestedAt: r.requested_at,
    reasons: r.reasons,
    jobId: r.job_id,
    oldVersion: r.old_version,
    newVersion: r.new_version,
    verdict: r.verdict,
    beforeRmspe: r.before_rmspe,
    afterRmspe: r.after_rmspe,
    rolledBack: r.rolled_back,
  }));
}
