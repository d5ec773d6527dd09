import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { runStepsSpec } from "../../charts/run-steps.js";
import { CsrfField } from "../../components/CsrfField.js";
import {
  describeCounts,
  formatDateTime,
  formatDuration,
  formatInteger,
  runFailures,
} from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { Panel } from "../../components/Panel.js";
import { RunLog } from "../../components/RunLog.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { StatusBadge } from "../../components/TrainAllStatus.js";
import { VegaChart } from "../../components/VegaChart.js";
import { canCancel, canRetry } from "../../pipelines/run-actions.js";
import { LOG_LEVELS } from "../../pipelines/run-log.js";
import { getRun } from "../../pipelines/runs.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { readForm } from "./forms.server.js";
import { cancelRun, parseLevel, type RunAction, RunActionRefused, retryRun, runPage } from "./run-page.server.js";

export const meta: MetaFunction<typeof loader> = ({ data }) => [
  { title: data ? `storecast: run ${data.run.id} (${data.run.kind})` : "storecast: pipeline run" },
];

/** /pipelines/abc or /pipelines/0 names no run: the 404 page, as an unknown run does. */
function runIdOf(value: string | undefined): number {
  const id = /^\d{1,9}$/.test(value ?? "") ? Number(value) : 0;
  if (id < 1)
    throw data(`There is no pipeline run "${String(value).slice(0, 20)}": runs are numbered 1, 2, 3…`, { status: 404 });
  return id;
}

const isAction = (value: unknown): value is RunAction => value === "retry" || value === "cancel";

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const id = runIdOf(params.id);
  const query = new URL(request.url).searchParams;
  const { level, note } = parseLevel(query.get("level"));
  const page = await runPage(context, id, level);
  if (!page) {
    throw data(`There is no pipeline run ${id}: it never existed, or retention deleted it.`, { status: 404 });
  }
  const { run, log, trigger, job } = page;
  const confirm = query.get("confirm");
  return {
    run: {
      id: run.id,
      kind: run.kind,
      status: run.status,
      createdAt: run.createdAt.toISOString(),
      startedAt: run.startedAt?.toISOString() ?? null,
      finishedAt: run.finishedAt?.toISOString() ?? null,
      durationMs: run.durationMs,
      progressDone: run.progressDone,
      progressTotal: run.progressTotal,
      error: run.error,
      jobId: run.jobId,
      steps: run.steps,
      counts: describeCounts(run.counts),
      failures: runFailures(run.counts),
      failedCount: typeof run.counts?.failed === "number" ? run.counts.failed : null,
    },
    trigger,
    job: job ? { id: job.id, status: job.status, attempts: job.attempts, kind: job.kind } : null,
    log,
    level,
    levelNote: note,
    confirm: isAction(confirm) ? confirm : null,
    retried: query.get("retried")?.slice(0, 100) ?? null,
    joined: query.get("joined") === "1",
    cancelled: query.get("cancelled") === "1",
  };
}

/**
 * Retry (a failed or stopped run) and Cancel (a pending or running one), each confirmed first: the
 * buttons lead to ?confirm=, whose form posts `confirmed=yes`. A post without it asks again.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  requireRole(context, request, "operator");
  const id = runIdOf(params.id);
  const form = await readForm(request, context);
  if (!form) return data({ error: "The form could not be read: send it from this page." }, { status: 400 });
  const intent = form.get("intent");
  if (!isAction(intent)) {
    return data({ error: "Unknown action: this page can retry or cancel its run." }, { status: 400 });
  }
  if (form.get("confirmed") !== "yes") return redirect(`/pipelines/${id}?confirm=${intent}`, 303);
  const run = await getRun(context.db, id);
  if (!run) throw data(`There is no pipeline run ${id}: it never existed, or retention deleted it.`, { status: 404 });
  try {
    if (intent === "retry") {
      const { id: jobId, deduplicated } = await retryRun(context, run);
      await audit(context, "pipeline-run.retry", `run ${id}`, { job: jobId, deduplicated, via: "page" });
      const next = new URLSearchParams({ retried: jobId });
      if (deduplicated) next.set("joined", "1");
      return redirect(`/pipelines/${id}?${next}`, 303);
    }
    const { job, orphan } = await cancelRun(context, run);
    await audit(context, "pipeline-run.cancel", `run ${id}`, { job: job?.id ?? null, orphan, via: "page" });
    return redirect(`/pipelines/${id}?cancelled=1`, 303);
  } catch (err) {
    if (err instanceof RunActionRefused) return data({ error: err.message }, { status: 409 });
    context.log.error({ err, run: id, intent }, "ui: run action failed");
    return data(
      { error: `The ${intent} could not be done: ${(err as Error).message}. Try again in a moment.` },
      { status: 503 },
    );
  }
}

const buttonClass =
  "rounded-md px-4 py-2 font-medium focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60";

export default function PipelineRunPage() {
  const { run, trigger, job, log, level, levelNote, confirm, retried, joined, cancelled } =
    useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const submitting = navigation.state === "submitting";
  const retryable = canRetry(run.status);
  const cancellable = canCancel(run.status);
  const asking = confirm === "retry" ? retryable : confirm === "cancel" ? cancellable : false;
  const levelHref = (l: string | null) =>
    l ? `/pipelines/${run.id}?level=${l}#log-heading` : `/pipelines/${run.id}#log-heading`;

  return (
    <div className="space-y-6">
      <nav aria-label="Breadcrumb" className="text-sm">
        <Link to="/pipelines" className={linkClass}>
          Pipelines
        </Link>{" "}
        / run {run.id}
      </nav>
      <section aria-labelledby="run-heading" className="space-y-2">
        <h1 id="run-heading" className="flex flex-wrap items-center gap-3 text-2xl font-semibold">
          Run {run.id}: {run.kind} <StatusBadge status={run.status} />
        </h1>
        <dl
          data-testid="run-facts"
          className="grid max-w-3xl grid-cols-[max-content_1fr] gap-x-6 gap-y-1 text-sm text-slate-700 dark:text-slate-300"
        >
          <dt className="font-medium">Started by</dt>
          <dd data-testid="run-trigger" data-kind={trigger.kind}>
            {trigger.text}
            {trigger.auditId ? (
              <>
                {" "}
                (
                <Link to="/audit" className={linkClass}>
                  audit entry {trigger.auditId}
                </Link>
                )
              </>
            ) : null}
          </dd>
          <dt className="font-medium">Job</dt>
          <dd data-testid="run-job">
            {run.jobId ? (
              job ? (
                <>
                  {job.kind} job {job.id}, {job.status.toLowerCase()}, {job.attempts}{" "}
                  {job.attempts === 1 ? "attempt" : "attempts"}
                </>
              ) : (
                <>job {run.jobId} (no longer kept by the queue: attempts unknown)</>
              )
            ) : (
              "none (not run as a job)"
            )}
          </dd>
          <dt className="font-medium">Queued</dt>
          <dd className="tabular-nums">{formatDateTime(run.createdAt)}</dd>
          <dt className="font-medium">Started</dt>
          <dd className="tabular-nums">{formatDateTime(run.startedAt)}</dd>
          <dt className="font-medium">Finished</dt>
          <dd className="tabular-nums">{formatDateTime(run.finishedAt)}</dd>
          <dt className="font-medium">Duration</dt>
          <dd className="tabular-nums">
            {run.status === "RUNNING"
              ? run.progressTotal > 0
                ? `running, ${formatInteger(run.progressDone)} of ${formatInteger(run.progressTotal)}`
                : "running"
              : formatDuration(run.durationMs)}
          </dd>
          {run.error ? (
            <>
              <dt className="font-medium">Error</dt>
              <dd className="break-words text-red-700 dark:text-red-400">{run.error}</dd>
            </>
          ) : null}
        </dl>
      </section>

      <Panel id="actions-heading" title="Retry or cancel">
        {retried ? (
          <p role="status" className="text-sm">
            {joined ? "The same work was already queued: " : "Retry queued: "}job {retried}. Its run appears on the{" "}
            <Link to="/pipelines" className={linkClass}>
              Pipelines
            </Link>{" "}
            page when a worker takes it.
          </p>
        ) : null}
        {cancelled ? (
          <p role="status" className="text-sm">
            Cancel sent: {run.status === "STOPPED" ? "the run is stopped." : "the run stops at its next checkpoint."}
          </p>
        ) : null}
        {actionData?.error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400">
            {actionData.error}
          </p>
        ) : null}
        {asking && confirm ? (
          <Form method="post" className="space-y-3" data-testid="confirm-form">
            <CsrfField />
            <input type="hidden" name="intent" value={confirm} />
            <input type="hidden" name="confirmed" value="yes" />
            <p className="text-sm">
              {confirm === "retry"
                ? `Run this ${run.kind} again as a new job? The new run gets its own page; this one stays as it is.`
                : `Cancel this ${run.kind} run? Work already done is kept; what is left is not done.`}
            </p>
            <div className="flex flex-wrap gap-3">
              <button
                type="submit"
                disabled={submitting}
                className={`${buttonClass} ${confirm === "cancel" ? "bg-red-700 hover:bg-red-800" : "bg-blue-700 hover:bg-blue-800"} text-white`}
              >
                {confirm === "retry" ? "Yes, retry" : "Yes, cancel the run"}
              </button>
              <Link
                to={`/pipelines/${run.id}`}
                className={`${buttonClass} border border-slate-300 hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800`}
              >
                No, go back
              </Link>
            </div>
          </Form>
        ) : retryable || cancellable ? (
          <p className="flex flex-wrap gap-3">
            {retryable ? (
              <Link
                to={`/pipelines/${run.id}?confirm=retry`}
                className={`${buttonClass} bg-blue-700 text-white hover:bg-blue-800`}
              >
                Retry
              </Link>
            ) : null}
            {cancellable ? (
              <Link
                to={`/pipelines/${run.id}?confirm=cancel`}
                className={`${buttonClass} bg-red-700 text-white hover:bg-red-800`}
              >
                Cancel
              </Link>
            ) : null}
          </p>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-300">
            {run.status === "SUCCEEDED"
              ? "This run succeeded: nothing to retry or cancel."
              : `This run is ${run.status}: it can be retried once it has failed or stopped.`}
          </p>
        )}
      </Panel>

      <Panel id="steps-heading" title="Steps">
        {run.steps.length === 0 ? (
          <p className="text-sm text-slate-600 dark:text-slate-300">No step recorded yet.</p>
        ) : (
          <>
            <VegaChart
              label={`The run's steps over time: ${run.steps.map((s) => `${s.name} ${formatDuration(s.ms)}`).join(", ")}`}
              spec={({ dark }) => runStepsSpec(run.steps, { dark })!}
              fallback={null}
            />
            <TableFrame>
              <caption className="sr-only">The run's steps in order: name, start and duration</caption>
              <TableHead columns={[{ label: "Step" }, { label: "Started" }, { label: "Duration", numeric: true }]} />
              <tbody data-testid="step-rows">
                {run.steps.map((s) => (
                  <tr key={`${s.name}-${s.startedAt}`} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className="px-3 py-1.5 text-left font-medium">
                      {s.name}
                    </th>
                    <td className="px-3 py-1.5 tabular-nums">{s.startedAt.slice(0, 23).replace("T", " ")} UTC</td>
                    <td className="px-3 py-1.5 text-right tabular-nums">{formatDuration(s.ms)}</td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          </>
        )}
      </Panel>

      <Panel id="counts-heading" title="Counts">
        {run.counts.length > 0 ? (
          <ul data-testid="run-counts" className="flex flex-wrap gap-x-6 gap-y-1 text-sm">
            {run.counts.map((c) => (
              <li key={c}>{c}</li>
            ))}
          </ul>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-300">No counts recorded yet.</p>
        )}
        {run.failures.length > 0 ? (
          <TableFrame>
            <caption className="text-left text-sm font-medium">
              Failed series
              {run.failedCount !== null && run.failedCount > run.failures.length
                ? ` (the first ${formatInteger(run.failures.length)} of ${formatInteger(run.failedCount)})`
                : ` (${formatInteger(run.failures.length)})`}
            </caption>
            <TableHead columns={[{ label: "Series" }, { label: "Reason" }]} />
            <tbody data-testid="failure-rows">
              {run.failures.map((f) => (
                <tr
                  key={`${f.series}-${f.reason}`}
                  className="border-t border-slate-100 align-top dark:border-slate-800"
                >
                  <th scope="row" className="px-3 py-1.5 text-left font-medium whitespace-nowrap">
                    {f.series}
                  </th>
                  <td className="px-3 py-1.5 break-words">{f.reason}</td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        ) : null}
      </Panel>

      <Panel id="log-heading" title="Log">
        <div className="flex flex-wrap items-end gap-3">
          <Form method="get" className="flex flex-wrap items-end gap-2">
            <Field id="log-level" label="Level">
              <select id="log-level" name="level" defaultValue={level ?? ""} key={level ?? ""} className={inputClass}>
                <option value="">all</option>
                {LOG_LEVELS.map((l) => (
                  <option key={l} value={l}>
                    {l} and above
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
          <p className="flex gap-3 text-sm">
            <Link to={levelHref("warn")} className={linkClass}>
              Warnings and errors
            </Link>
            <Link to={levelHref(null)} className={linkClass}>
              Every line
            </Link>
          </p>
        </div>
        {levelNote ? (
          <p role="status" data-testid="level-note" className="text-sm text-amber-800 dark:text-amber-300">
            {levelNote}
          </p>
        ) : null}
        <RunLog runId={run.id} status={run.status} level={level} initial={log} />
      </Panel>
    </div>
  );
}
