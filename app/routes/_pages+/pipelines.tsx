import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { runDurationSpec } from "../../charts/pipelines.js";
import { CsrfField } from "../../components/CsrfField.js";
import {
  describeCounts,
  formatDateTime,
  formatDuration,
  formatInteger,
  runFailures,
} from "../../components/display.js";
import { Field } from "../../components/Field.js";
import type { JobSnapshot } from "../../components/job-events.js";
import { Panel } from "../../components/Panel.js";
import { RetentionPanel } from "../../components/RetentionPanel.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { StatusBadge, TrainAllStatus } from "../../components/TrainAllStatus.js";
import { useSynced } from "../../components/useSynced.js";
import { VegaChart } from "../../components/VegaChart.js";
import { enqueueOnce } from "../../jobs/dedupe.js";
import type { JobInfo, JobQueue } from "../../jobs/port.js";
import { countRuns, listRuns, type PipelineRunRecord } from "../../pipelines/runs.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { parsePage } from "../../stores/list-params.js";
import { jobOrNull, readForm } from "./forms.server.js";
import { retentionView } from "./retention-view.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: pipelines" }];

const PAGE_SIZE = 25;
/** How many of the newest finished runs the durations chart shows. */
const CHART_RUNS = 200;
const KINDS = [
  "train-all",
  "train-weekly",
  "retrain",
  "batch-forecast",
  "ingest-daily",
  "history-load",
  "retention",
] as const;

/** The load context's queue; undefined where none is wired (the page still lists runs). */
function queueOf(context: LoaderFunctionArgs["context"]): JobQueue | undefined {
  return (context as { jobs?: JobQueue }).jobs;
}

const snapshotOf = (job: JobInfo): JobSnapshot => ({
  id: job.id,
  status: job.status,
  progress: job.progress,
  error: job.error,
  ...(job.status === "SUCCEEDED" ? { result: job.result ?? null } : {}),
});

const runJson = (r: PipelineRunRecord) => ({
  id: r.id,
  kind: r.kind,
  status: r.status,
  startedAt: r.startedAt?.toISOString() ?? null,
  finishedAt: r.finishedAt?.toISOString() ?? null,
  durationMs: r.durationMs,
  progressDone: r.progressDone,
  progressTotal: r.progressTotal,
  counts: describeCounts(r.counts),
  failures: runFailures(r.counts),
  error: r.error,
  jobId: r.jobId,
});

export async function loader({ request, context }: LoaderFunctionArgs) {
  const params = new URL(request.url).searchParams;
  const kindParam = params.get("kind") ?? "";
  const kind = (KINDS as readonly string[]).includes(kindParam) ? kindParam : undefined;
  const total = await countRuns(context.db, { kind });
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const page = Math.min(parsePage(params.get("page")), pages);
  const [runs, chartRuns, [latestTrainAll], [latestWeekly], retention] = await Promise.all([
    listRuns(context.db, { kind, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }),
    listRuns(context.db, { kind, limit: CHART_RUNS }),
    listRuns(context.db, { kind: "train-all", limit: 1 }),
    listRuns(context.db, { kind: "train-weekly", limit: 1 }),
    retentionView(context, params.get("retention")),
  ]);

  // The train-all to follow: the one this page just queued (?job=), else one that is running now.
  const jobs = queueOf(context);
  const jobParam = params.get("job") ?? "";
  const job =
    jobs && jobParam !== "" && jobParam.length <= 200
      ? await jobOrNull(context.log, () => jobs.get(jobParam), "job status")
      : null;
  const runningRun = [latestTrainAll, latestWeekly].find((r) => r?.status === "RUNNING") ?? null;
  return {
    kind: kind ?? "",
    page,
    pages,
    total,
    runs: runs.map(runJson),
    chartRuns: chartRuns
      .filter((r) => r.durationMs !== null)
      .map((r) => ({
        id: r.id,
        kind: r.kind,
        status: r.status,
        startedAt: r.startedAt?.toISOString() ?? null,
        durationMs: r.durationMs,
      })),
    job: job?.kind === "train-all" ? snapshotOf(job) : null,
    unknownJob: jobParam !== "" && job?.kind !== "train-all" ? jobParam : null,
    joined: params.get("joined") === "1",
    running: runningRun
      ? {
          runId: runningRun.id,
          jobId: runningRun.jobId,
          done: runningRun.progressDone,
          total: runningRun.progressTotal,
        }
      : null,
    queueAvailable: jobs !== undefined,
    retention,
  };
}

/**
 * "Train all stores": a train-all job through the load context's queue, then the page follows it
 * (?job=). "Apply retention now": a retention job, then the page shows it (?retention=).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  requireRole(context, request, "operator");
  const form = await readForm(request, context);
  if (!form) return data({ error: "The form could not be read: send it from this page." }, { status: 400 });
  const intent = form.get("intent");
  if (intent !== "train-all" && intent !== "retention") {
    return data(
      { error: "Unknown action: this page's first form starts a train-all, its second applies the retention policy." },
      { status: 400 },
    );
  }
  const jobs = queueOf(context);
  if (!jobs) {
    return data({ error: "The job queue is not available in this process: try again shortly." }, { status: 503 });
  }
  if (intent === "retention") {
    try {
      const { id, deduplicated } = await enqueueOnce(jobs, "retention", {});
      await audit(context, "retention.start", `job ${id}`, { deduplicated, via: "page" });
      return redirect(`/pipelines?${new URLSearchParams({ retention: id })}`, 303);
    } catch (err) {
      context.log.error({ err }, "ui: could not enqueue a retention run");
      return data(
        { retentionError: `The retention could not be started: ${(err as Error).message}. Try again in a moment.` },
        { status: 503 },
      );
    }
  }
  // The same dedupe key as POST /api/train-all: a second click joins the train-all already queued or running.
  let enqueued: { id: string; deduplicated: boolean };
  try {
    enqueued = await enqueueOnce(jobs, "train-all", { runKind: "train-all" });
  } catch (err) {
    context.log.error({ err }, "ui: could not enqueue a train-all");
    return data(
      { error: `The train-all could not be started: ${(err as Error).message}. Try again in a moment.` },
      { status: 503 },
    );
  }
  const { id, deduplicated } = enqueued;
  await audit(context, "train-all.start", `job ${id}`, { deduplicated, via: "page" });
  const search = new URLSearchParams({ job: id });
  if (deduplicated) search.set("joined", "1");
  return redirect(`/pipelines?${search}`, 303);
}

export default function Pipelines() {
  const { kind, page, pages, total, runs, chartRuns, job, unknownJob, joined, running, queueAvailable, retention } =
    useLoaderData<typeof loader>();
  // Controlled: the filter follows the address when a link changes it (a select keeps its choice otherwise).
  const [kindChoice, setKindChoice] = useSynced<string>(kind ?? "");
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = navigation.state === "submitting" && navigation.formAction?.startsWith("/pipelines");
  const submittingIntent = submitting ? navigation.formData?.get("intent") : null;
  const pageHref = (p: number) => {
    const s = new URLSearchParams();
    if (kind) s.set("kind", kind);
    if (p > 1) s.set("page", String(p));
    const query = s.toString();
    return query ? `/pipelines?${query}` : "/pipelines";
  };

  return (
    <div className="space-y-6">
      <section aria-labelledby="pipelines-heading" className="space-y-2">
        <h1 id="pipelines-heading" className="text-2xl font-semibold">
          Pipelines
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300">
          Every run of a pipeline: the weekly training of every store (train-weekly, and train-all on demand), retrains
          of one series, batch forecasts and the daily ingestion check, with status, timing, counts and errors.
        </p>
      </section>

      <Panel id="train-all-heading" title="Train every store">
        <p className="text-sm text-slate-600 dark:text-slate-300">
          Fits a new model version for every store and product on its latest 120 days, cross-validates it, puts it in
          production and writes the next 7 days' forecast. It runs in the background; this page shows its progress.
        </p>
        <Form method="post" className="flex flex-wrap items-center gap-3">
          <CsrfField />
          <input type="hidden" name="intent" value="train-all" />
          <button
            type="submit"
            disabled={submitting || !queueAvailable}
            aria-busy={submittingIntent === "train-all" || undefined}
            className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60"
          >
            Train all stores
          </button>
          {submittingIntent === "train-all" ? (
            <span className="text-sm text-slate-600 dark:text-slate-300">Queuing…</span>
          ) : null}
        </Form>
        {actionData && "error" in actionData && actionData.error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {actionData.error}
          </p>
        ) : null}
        {unknownJob ? (
          <p className="text-sm text-slate-600 dark:text-slate-300">
            Job {unknownJob} is not a train-all this server knows (finished jobs are forgotten after a while).
          </p>
        ) : null}
        <TrainAllStatus key={job?.id ?? running?.runId ?? "none"} job={job} running={running} joined={joined} />
      </Panel>

      <RetentionPanel
        view={retention}
        submitting={submitting ?? false}
        queueAvailable={queueAvailable}
        error={actionData && "retentionError" in actionData ? actionData.retentionError : null}
      />

      <section aria-labelledby="durations-heading" className="space-y-2">
        <h2 id="durations-heading" className="sr-only">
          Run durations
        </h2>
        {chartRuns.length > 0 ? (
          <VegaChart
            label={`Pipeline run durations over time, ${chartRuns.length} finished runs`}
            spec={({ dark }) => runDurationSpec(chartRuns, { dark })!}
            className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
            fallback={
              <p className="text-sm text-slate-600 dark:text-slate-300">
                The chart of run durations needs JavaScript; the table below lists every run with its duration.
              </p>
            }
          />
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-300">
            No finished run yet: the duration chart appears after the first.
          </p>
        )}
      </section>

      <section aria-labelledby="runs-heading" className="space-y-3">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <h2 id="runs-heading" className="text-lg font-semibold">
            Runs
          </h2>
          <Form method="get" className="flex flex-wrap items-end gap-2">
            <Field id="runs-kind" label="Kind">
              <select
                id="runs-kind"
                name="kind"
                value={kindChoice}
                onChange={(e) => setKindChoice(e.target.value)}
                className={inputClass}
              >
                <option value="">All kinds</option>
                {KINDS.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </Field>
            <button
              type="submit"
              className="rounded-md border border-slate-300 px-3 py-2 font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 dark:border-slate-700 dark:hover:bg-slate-800"
            >
              Show
            </button>
          </Form>
        </div>
        {runs.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">No {kind ? `${kind} ` : ""}run yet.</p>
        ) : (
          <TableFrame>
            <caption className="sr-only">
              Pipeline runs, newest first: kind, status, start, duration, counts and error
            </caption>
            <TableHead
              columns={[
                { label: "Run", numeric: true },
                { label: "Kind" },
                { label: "Status" },
                { label: "Started" },
                { label: "Duration", numeric: true },
                { label: "Counts" },
                { label: "Error" },
              ]}
            />
            <tbody data-testid="run-rows">
              {runs.map((r) => (
                <tr key={r.id} className="border-t border-slate-100 align-top dark:border-slate-800">
                  <th scope="row" className="px-3 py-1.5 text-right font-medium tabular-nums">
                    <Link to={`/pipelines/${r.id}`} className={linkClass} aria-label={`Run ${r.id}: details and log`}>
                      {r.id}
                    </Link>
                  </th>
                  <td className="px-3 py-1.5 whitespace-nowrap">{r.kind}</td>
                  <td className="px-3 py-1.5">
                    <StatusBadge status={r.status} />
                  </td>
                  <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">{formatDateTime(r.startedAt)}</td>
                  <td className="px-3 py-1.5 text-right whitespace-nowrap tabular-nums">
                    {r.status === "RUNNING"
                      ? r.progressTotal > 0
                        ? `running, ${r.progressDone}/${r.progressTotal}`
                        : "running"
                      : formatDuration(r.durationMs)}
                  </td>
                  <td className="min-w-48 px-3 py-1.5 text-slate-700 dark:text-slate-300">
                    {r.counts.length > 0 ? r.counts.join(", ") : "–"}
                  </td>
                  <td className="min-w-48 px-3 py-1.5">
                    {r.error ? <span className="text-red-700 break-words dark:text-red-400">{r.error}</span> : null}
                    {r.failures.length > 0 ? (
                      <details className="text-slate-700 dark:text-slate-300">
                        <summary className="cursor-pointer">
                          {r.failures.length} series not trained{r.error ? "" : " (see why)"}
                        </summary>
                        <ul className="mt-1 list-disc pl-5">
                          {r.failures.map((f) => (
                            <li key={`${f.series}-${f.reason}`}>
                              {f.series}: {f.reason}
                            </li>
                          ))}
                        </ul>
                      </details>
                    ) : null}
                    {!r.error && r.failures.length === 0 ? "–" : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
        {pages > 1 ? (
          <nav aria-label="Pages" className="flex items-center gap-4 text-sm">
            {page > 1 ? (
              <Link to={pageHref(page - 1)} className={linkClass} rel="prev">
                Newer runs
              </Link>
            ) : (
              <span className="text-slate-400 dark:text-slate-600">Newer runs</span>
            )}
            <span aria-current="page">
              Page {page} of {pages} ({formatInteger(total)} runs)
            </span>
            {page < pages ? (
              <Link to={pageHref(page + 1)} className={linkClass} rel="next">
                Older runs
              </Link>
            ) : (
              <span className="text-slate-400 dark:text-slate-600">Older runs</span>
            )}
          </nav>
        ) : null}
      </section>
    </div>
  );
}
