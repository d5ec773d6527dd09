/**
 * Retrain one series. Without JavaScript: a form POST; the action enqueues a train-one job and
 * redirects back with `?job=`, and the page shows that job's status. With JavaScript: the same
 * form through a fetcher, then the job's server-sent events drive the progress bar and the status
 * line, and when the job ends the page's data is reloaded in place (new version on the chart).
 */

import { useFetcher, useRevalidator } from "@remix-run/react";
import { CsrfField } from "./CsrfField.js";
import { type JobSnapshot, useJobEvents } from "./job-events.js";
import { Panel } from "./Panel.js";

export interface RetrainJobView {
  id: string;
  status: "PENDING" | "RUNNING" | "SUCCEEDED" | "FAILED" | "STOPPED";
  progress: { done: number; total: number } | null;
  error: string | null;
  version: number | null;
}

const ACTIVE = new Set(["PENDING", "RUNNING"]);

/** The loader's job as the event hook's starting snapshot, and a snapshot back as the panel's view. */
const toSnapshot = (job: RetrainJobView): JobSnapshot => ({ ...job, result: { modelVersion: job.version } });

function toView(s: JobSnapshot): RetrainJobView {
  const version = (s.result as { modelVersion?: unknown } | null | undefined)?.modelVersion;
  return {
    id: s.id,
    status: s.status,
    progress: s.progress,
    error: s.error,
    version: typeof version === "number" ? version : null,
  };
}

function statusText(job: RetrainJobView | null, starting: boolean): string {
  if (starting) return "Starting the retrain…";
  if (!job) return "";
  switch (job.status) {
    case "PENDING":
      return "Retrain queued: waiting for a free worker.";
    case "RUNNING":
      return "Retraining: fitting and cross-validating the model…";
    case "SUCCEEDED":
      return job.version === null ? "Retrain finished." : `Retrain finished: version ${job.version} is in production.`;
    case "FAILED":
      return `Retrain failed: ${job.error ?? "no reason given"}`;
    case "STOPPED":
      return "The retrain was stopped before it finished.";
  }
}

export function RetrainPanel({
  store,
  product,
  job: loaderJob,
  actionError,
  keep,
}: {
  store: number;
  product: string;
  job: RetrainJobView | null;
  /** An error of the last Retrain POST without JavaScript (the fetcher's own comes from its data). */
  actionError: string | null;
  /** Query parameters to keep across the POST-redirect (e.g. the ad-hoc forecast's dates). */
  keep: Record<string, string>;
}) {
  const fetcher = useFetcher<{ retrainError?: string }>({ key: `retrain-${store}-${product}` });
  const revalidator = useRevalidator();
  // Live events while the job is queued or running; when it ends, the page's data (chart, subtitle,
  // model card) is reloaded in place.
  const events = useJobEvents(loaderJob?.id ?? null, loaderJob && toSnapshot(loaderJob), () =>
    revalidator.revalidate(),
  );
  const job = events.snapshot ? toView(events.snapshot) : null;
  const lost = events.lost && job !== null && ACTIVE.has(job.status);
  const starting = fetcher.state !== "idle";
  const active = job ? ACTIVE.has(job.status) : false;
  const error = fetcher.data?.retrainError ?? actionError;
  const text = statusText(job, starting);
  const failed = job?.status === "FAILED";
  const progress = job?.progress && job.progress.total > 1 ? job.progress : null;

  return (
    <Panel id="retrain-heading" title="Retrain">
      <p className="text-sm text-slate-600 dark:text-slate-300">
        Fits a new model on this series' latest sales, validates it, puts it in production and rewrites the weekly
        forecast.
      </p>
      <fetcher.Form method="post" className="flex flex-wrap items-center gap-3">
        <CsrfField />
        <input type="hidden" name="intent" value="retrain" />
        <input type="hidden" name="product" value={product} />
        {Object.entries(keep).map(([name, value]) => (
          <input key={name} type="hidden" name={name} value={value} />
        ))}
        <button
          type="submit"
          disabled={active || starting}
          aria-describedby="retrain-status"
          className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600 disabled:cursor-not-allowed disabled:bg-slate-400 dark:disabled:bg-slate-600"
        >
          Retrain
        </button>
        {active || starting ? (
          <progress
            aria-label="Training progress"
            className="h-2 w-40 flex-1"
            {...(progress ? { max: progress.total, value: progress.done } : {})}
          />
        ) : null}
      </fetcher.Form>
      <p
        id="retrain-status"
        role="status"
        className={`min-h-5 text-sm ${failed ? "text-red-700 dark:text-red-400" : "text-slate-700 dark:text-slate-200"}`}
      >
        {text}
      </p>
      {error ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {error}
        </p>
      ) : null}
      {lost ? (
        <p role="alert" className="text-sm text-amber-700 dark:text-amber-400">
          Lost track of the job's progress; reload the page to see where it is.
        </p>
      ) : null}
      {active ? (
        <noscript>
          <a href={`?${new URLSearchParams({ ...keep, product, job: job!.id })}`} className="text-sm underline">
            Refresh the status
          </a>
        </noscript>
      ) : null}
    </Panel>
  );
}
