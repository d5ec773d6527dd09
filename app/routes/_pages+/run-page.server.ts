/**
 * The run page's server side (/pipelines/:id): what started a run, its job's attempts, its log, and
 * the page's Retry and Cancel. Route-local: it calls the domains and the queue port, no SQL.
 */
import type { AppLoadContext } from "@remix-run/node";
import { type AuditEntry, firstAuditOfJob } from "../../audit/log.server.js";
import { ValidationError } from "../../errors.js";
import { FINAL_JOB_STATUSES, type JobInfo } from "../../jobs/port.js";
import { retryPipelineRun } from "../../pipelines/retry.server.js";
import { canCancel, canRetry } from "../../pipelines/run-actions.js";
import { isLogLevel, type LogLevel } from "../../pipelines/run-log.js";
import { readRunLog } from "../../pipelines/run-log.server.js";
import { getRun, type PipelineRunRecord, stopRun } from "../../pipelines/runs.server.js";
import { stopTrainRunsOfJob } from "../../training/train-runs.server.js";
import { jobOrNull } from "./forms.server.js";

export type TriggerKind = "user" | "api" | "policy" | "schedule" | "start-up" | "system";

export interface RunTrigger {
  kind: TriggerKind;
  /** A sentence: "bob (user) from the web page", "the weekly schedule". */
  text: string;
  /** The audit entry it was read from, when one names the run's job. */
  auditId: string | null;
}

/** The audit entry is written just after the job is queued; the run starts when a worker takes it. */
const AUDIT_BEFORE_MS = 8 * 86_400_000;
const AUDIT_AFTER_MS = 60_000;

/**
 * Who or what started a run. A request or the retraining policy leaves an audit entry naming the
 * job (docs/decisions/0021); a run whose job no entry names came from a schedule or from start-up.
 */
export function runTrigger(run: Pick<PipelineRunRecord, "kind" | "jobId">, entry: AuditEntry | null): RunTrigger {
  if (entry) {
    const via = entry.detail?.via === "page" ? "from the web page" : "through the API";
    const what = entry.action === "pipeline-run.retry" ? `, a retry of ${entry.target ?? "an earlier run"}` : "";
    const auditId = entry.id;
    switch (entry.actor.kind) {
      case "system":
        return { kind: "policy", text: `the ${entry.actor.name}${what}`, auditId };
      case "token":
        return { kind: "api", text: `API token ${entry.actor.name} ${via}${what}`, auditId };
      case "user":
        return {
          kind: entry.detail?.via === "page" ? "user" : "api",
          text: `${entry.actor.name} ${via}${what}`,
          auditId,
        };
      default:
        return {
          kind: entry.detail?.via === "page" ? "user" : "api",
          text: `${entry.actor.name} ${via}${what}`,
          auditId,
        };
    }
  }
  if (!run.jobId) return { kind: "system", text: "storecast itself (a command or start-up, not a job)", auditId: null };
  switch (run.kind) {
    case "train-weekly":
      return { kind: "schedule", text: "the weekly training schedule", auditId: null };
    case "train-all":
      // Requests for a train-all are audited: one without an entry is the initial training.
      return { kind: "start-up", text: "start-up (the initial training of every series)", auditId: null };
    case "ingest-daily":
    case "retention":
      return { kind: "schedule", text: `the daily ${run.kind} schedule`, auditId: null };
    default:
      return { kind: "system", text: "a job no request names (a schedule or storecast itself)", auditId: null };
  }
}

/** `?level=`: a known level, else null with a note saying it was ignored. */
export function parseLevel(value: string | null): { level: LogLevel | null; note: string | null } {
  if (value === null || value === "" || value === "all") return { level: null, note: null };
  if (isLogLevel(value)) return { level: value, note: null };
  return {
    level: null,
    note: `"${value.slice(0, 20)}" is not a log level (debug, info, warn, error): every line is shown.`,
  };
}

/** The run, its log, what started it and its job: null when there is no such run. */
export async function runPage(context: AppLoadContext, id: number, level: LogLevel | null) {
  const run = await getRun(context.db, id);
  if (!run) return null;
  const [log, entry, job] = await Promise.all([
    readRunLog(context.db, id, { level: level ?? undefined }),
    run.jobId
      ? firstAuditOfJob(context.db, run.jobId, {
          from: new Date(run.createdAt.getTime() - AUDIT_BEFORE_MS),
          to: new Date((run.finishedAt ?? new Date()).getTime() + AUDIT_AFTER_MS),
        })
      : null,
    run.jobId ? jobOrNull(context.log, () => context.jobs.get(run.jobId!), "run's job") : null,
  ]);
  return { run, log: log ?? { lines: [], total: 0, dropped: null }, trigger: runTrigger(run, entry), job };
}

export type RunAction = "retry" | "cancel";

export class RunActionRefused extends Error {
  override name = "RunActionRefused";
}

/** Runs a failed or stopped run again as a new job (the API's retry). */
export async function retryRun(
  context: AppLoadContext,
  run: PipelineRunRecord,
): Promise<{ id: string; deduplicated: boolean }> {
  if (!canRetry(run.status)) {
    throw new RunActionRefused(`Run ${run.id} is ${run.status}: only a failed or stopped run can be retried.`);
  }
  try {
    return await retryPipelineRun(context.db, context.jobs, run.id);
  } catch (err) {
    if (err instanceof ValidationError) throw new RunActionRefused(err.message);
    throw err;
  }
}

/**
 * Cancels a pending or running run through its job (the queue stops it; a train-all's run is ended
 * at once so it is not resumed). A run whose job the queue no longer has, or has finished, cannot
 * be stopped by anyone else: it is ended STOPPED here.
 */
export async function cancelRun(
  context: AppLoadContext,
  run: PipelineRunRecord,
): Promise<{ job: JobInfo | null; orphan: boolean }> {
  if (!canCancel(run.status)) {
    throw new RunActionRefused(`Run ${run.id} is ${run.status}: only a pending or running run can be cancelled.`);
  }
  const job = run.jobId ? await context.jobs.get(run.jobId) : null;
  if (job && !FINAL_JOB_STATUSES.has(job.status)) {
    await context.jobs.cancel(job.id);
    // A train-all waiting to resume has a PENDING run: end it, so it is not resumed and its helpers stop.
    if (job.kind === "train-all") await stopTrainRunsOfJob(context.db, job.id, "cancelled");
    return { job, orphan: false };
  }
  await stopRun(context.db, run.id, "cancelled: its job had already ended or is unknown to the queue");
  return { job, orphan: true };
}
