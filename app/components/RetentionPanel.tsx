import { Form } from "@remix-run/react";
import { CsrfField } from "./CsrfField.js";
import { formatDateTime } from "./display.js";
import { Panel } from "./Panel.js";
import { StatusBadge } from "./TrainAllStatus.js";

/** What the pipelines page shows of the retention policy: the rules, the last run's counts, a job it started. */
export interface RetentionView {
  /** The schedule's cron (UTC), or null when this process registers none. */
  schedule: string | null;
  /** The policy in words, one phrase per kind. */
  policy: string[];
  last: {
    runId: number;
    status: string;
    startedAt: string | null;
    finishedAt: string | null;
    /** What it deleted, per kind ("model versions 13"). */
    counts: string[];
    error: string | null;
  } | null;
  /** The retention job this page just queued (?retention=), if the server knows it. */
  job: { id: string; status: string } | null;
}

const JOB_WORDS: Record<string, string> = {
  PENDING: "queued",
  RUNNING: "running",
  SUCCEEDED: "finished: the last run below shows what it deleted",
  FAILED: "failed: the last run below says why",
  STOPPED: "stopped",
};

export function RetentionPanel({
  view,
  submitting,
  queueAvailable,
  error,
}: {
  view: RetentionView;
  submitting: boolean;
  queueAvailable: boolean;
  error: string | null;
}) {
  const { last } = view;
  return (
    <Panel id="retention-heading" title="Retention" data-testid="retention">
      <p className="text-sm text-slate-600 dark:text-slate-300">
        Deletes what is no longer kept,{" "}
        {view.schedule ? `every day on its schedule (${view.schedule} UTC)` : "only on demand in this process"}:
      </p>
      <ul className="list-disc pl-5 text-sm text-slate-700 dark:text-slate-300">
        {view.policy.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      {last ? (
        <div className="space-y-1 text-sm" data-testid="retention-last">
          <p className="flex flex-wrap items-center gap-2">
            <span>
              Last run {last.runId}, {formatDateTime(last.finishedAt ?? last.startedAt)}:
            </span>
            <StatusBadge status={last.status} />
          </p>
          <p data-testid="retention-counts">
            {last.counts.length > 0 ? `Deleted ${last.counts.join(", ")}.` : "Nothing deleted yet."}
          </p>
          {last.error ? <p className="text-red-700 dark:text-red-400">{last.error}</p> : null}
        </div>
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-300">No retention run yet.</p>
      )}
      <Form method="post" className="flex flex-wrap items-center gap-3">
        <CsrfField />
        <input type="hidden" name="intent" value="retention" />
        <button
          type="submit"
          disabled={submitting || !queueAvailable}
          aria-busy={submitting || undefined}
          className="rounded-md border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60 dark:border-slate-700 dark:hover:bg-slate-800"
        >
          Apply retention now
        </button>
        {view.job ? (
          <span role="status" className="text-sm text-slate-600 dark:text-slate-300">
            Retention job {JOB_WORDS[view.job.status] ?? view.job.status.toLowerCase()}.
          </span>
        ) : null}
      </Form>
      {error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
    </Panel>
  );
}
