/**
 * The pipelines page's live view of a train-all: a progress bar and status line while it runs, one
 * sentence when it ends; and the run status badge.
 */
import { useLocation, useRevalidator } from "@remix-run/react";
import { FINAL_JOB_STATUSES } from "../jobs/port.js";
import { Badge, type BadgeTone } from "./Badge.js";
import { formatDuration, formatInteger } from "./display.js";
import { type JobSnapshot, useJobEvents } from "./job-events.js";
import { linkClass } from "./styles.js";
import { useAutoRevalidate } from "./useAutoRevalidate.js";

const STATUS_TONE: Record<string, BadgeTone> = {
  SUCCEEDED: "green",
  RUNNING: "blue",
  PENDING: "grey",
  FAILED: "red",
  STOPPED: "amber",
};

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={STATUS_TONE[status] ?? "grey"}>{status}</Badge>;
}

/** What a finished train-all job says about itself, in one sentence. */
function finishedText(job: JobSnapshot): string {
  if (job.status === "SUCCEEDED") {
    const r = (job.result ?? {}) as Record<string, unknown>;
    if (r.status === "SKIPPED") {
      return `Not started: train-all run ${String(r.inProgressRunId)} was already in progress; it trains every store.`;
    }
    const n = (k: string) => (typeof r[k] === "number" ? formatInteger(r[k] as number) : "?");
    const took = typeof r.durationMs === "number" ? ` in ${formatDuration(r.durationMs)}` : "";
    return `Train-all finished${took}: ${n("trained")} trained, ${n("skipped")} skipped, ${n("failed")} failed.`;
  }
  if (job.status === "STOPPED") return "Train-all was stopped before it finished.";
  return `Train-all failed: ${job.error ?? "no error recorded"}.`;
}

function ProgressBar({ done, total }: { done: number; total: number }) {
  const known = total > 0;
  const pct = known ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return (
    <div
      role="progressbar"
      aria-label="Train-all progress"
      aria-valuemin={0}
      aria-valuemax={known ? total : undefined}
      aria-valuenow={known ? done : undefined}
      aria-valuetext={known ? `${done} of ${total} series` : "waiting to start"}
      className="h-3 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800"
    >
      <div
        className={`h-full rounded-full bg-blue-600 transition-[width] duration-300 dark:bg-blue-400 ${known ? "" : "animate-pulse"}`}
        style={{ width: known ? `${pct}%` : "100%", opacity: known ? 1 : 0.3 }}
      />
    </div>
  );
}

/**
 * The train-all being followed: live through the job's events when the job is known, by reloading
 * the page's data every 2 s when only its run is (e.g. `npm run train` in a terminal).
 */
export function TrainAllStatus({
  job,
  running,
  joined,
}: {
  job: JobSnapshot | null;
  running: { runId: number; jobId: string | null; done: number; total: number } | null;
  joined: boolean;
}) {
  const revalidator = useRevalidator();
  const location = useLocation();
  const jobId = job?.id ?? running?.jobId ?? null;
  const initial: JobSnapshot | null =
    job ??
    (running?.jobId
      ? { id: running.jobId, status: "RUNNING", progress: { done: running.done, total: running.total }, error: null }
      : null);
  const { snapshot: live, lost } = useJobEvents(jobId, initial, () => revalidator.revalidate());
  // No job to listen to (a run started by `npm run train`), or its stream gave up: poll the run.
  const current = live ?? null;
  const active = current ? !FINAL_JOB_STATUSES.has(current.status) : running !== null;
  useAutoRevalidate(2000, active && (jobId === null || lost));

  const done = current?.progress?.done ?? running?.done ?? 0;
  const total = current?.progress?.total ?? running?.total ?? 0;
  return (
    <div className="space-y-2">
      {active ? (
        <>
          <ProgressBar done={done} total={total} />
          <p role="status" className="text-sm text-slate-700 dark:text-slate-300">
            {current?.status === "PENDING"
              ? "Train-all is queued and starts as soon as a worker is free."
              : total > 0
                ? `Training every series: ${formatInteger(done)} of ${formatInteger(total)} (${Math.round((done / total) * 100)}%).`
                : "Train-all is starting: loading the series."}
            {joined ? " A train-all was already queued or running: this page follows it." : ""}{" "}
            <noscript>
              <a href={`${location.pathname}${location.search}`} className={linkClass}>
                Refresh to see progress
              </a>
            </noscript>
          </p>
        </>
      ) : current ? (
        <p
          role="status"
          className={`text-sm ${current.status === "SUCCEEDED" ? "text-emerald-800 dark:text-emerald-300" : "text-red-700 dark:text-red-400"}`}
        >
          {finishedText(current)}
        </p>
      ) : null}
    </div>
  );
}
