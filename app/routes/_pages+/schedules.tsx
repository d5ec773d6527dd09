import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData, useNavigation } from "@remix-run/react";
import { Badge } from "../../components/Badge.js";
import { CsrfField } from "../../components/CsrfField.js";
import { formatDateTime } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { Panel } from "../../components/Panel.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { StatusBadge } from "../../components/TrainAllStatus.js";
import { enqueueOnce } from "../../jobs/dedupe.js";
import type { JobQueue } from "../../jobs/port.js";
import { audit, hasRole, requireRole } from "../../server/authorize.server.js";
import { MAX_SCHEDULE_NAME, scheduleViews } from "../../server/schedules.server.js";
import { jobOrNull, readForm } from "./forms.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: schedules" }];

const queueOf = (context: LoaderFunctionArgs["context"]): JobQueue | undefined => (context as { jobs?: JobQueue }).jobs;

/** What each schedule's job does, for someone who has not read the job handlers. */
const KIND_HELP: Record<string, string> = {
  "train-all": "retrains every store and product, then forecasts the next 7 days",
  "ingest-daily": "checks that a day's sales arrived for every store",
  retention: "deletes what the retention policy no longer keeps",
  "drift-check": "scores forecasts against actuals and flags degraded series",
  "anomaly-scan": "compares the stores' weekly sales profiles",
  "batch-forecast": "forecasts the next 7 days from the models in production",
};

/** Words for the outcome the page was redirected with (?done=&name=&job=). */
function doneText(params: URLSearchParams): string | null {
  const name = (params.get("name") ?? "").slice(0, MAX_SCHEDULE_NAME);
  const job = (params.get("job") ?? "").slice(0, 200);
  const joined = params.get("joined") === "1" ? " (it was already queued or running: joined it)" : "";
  switch (params.get("done")) {
    case "pause":
      return `Paused ${name}: it will not run until it is resumed.`;
    case "resume":
      return `Resumed ${name}: it runs again from its next time.`;
    case "run":
      return `Started ${name} now as job ${job}${joined}.`;
    case "batch-forecast":
      return `Started a batch forecast as job ${job}${joined}.`;
    case "ingest-daily":
      return `Started the daily ingestion check as job ${job}${joined}.`;
    default:
      return null;
  }
}

export async function loader({ request, context }: LoaderFunctionArgs) {
  requireRole(context, request, "viewer");
  const jobs = queueOf(context);
  const views = jobs ? await jobOrNull(context.log, () => scheduleViews(jobs), "schedules") : null;
  return {
    queueAvailable: jobs !== undefined && views !== null,
    canOperate: hasRole(context, "operator"),
    done: doneText(new URL(request.url).searchParams),
    schedules: (views ?? []).map((s) => ({
      name: s.name,
      kind: s.kind,
      help: KIND_HELP[s.kind] ?? null,
      cron: s.cron,
      words: s.words,
      paused: s.paused,
      nextRunAt: s.nextRunAt?.toISOString() ?? null,
      lastRun: s.lastRun && {
        jobId: s.lastRun.jobId,
        at: s.lastRun.at.toISOString(),
        status: s.lastRun.status,
        error: s.lastRun.error,
      },
    })),
  };
}

const INTENTS = ["pause", "resume", "run", "batch-forecast", "ingest-daily"] as const;
type Intent = (typeof INTENTS)[number];

const refuse = (error: string, status: number, field?: string) => data({ error, field }, { status });

/**
 * Pause, Resume and Run now of one schedule (`name`), and the on-demand batch forecast and daily
 * ingestion check (`day`, optional); each redirects back with what it did (303).
 */
export async function action({ request, context }: ActionFunctionArgs) {
  requireRole(context, request, "operator");
  const form = await readForm(request, context);
  if (!form) return refuse("The form could not be read: send it from this page.", 400);
  const intent = String(form.get("intent") ?? "") as Intent;
  if (!INTENTS.includes(intent)) {
    return refuse("Unknown action: this page pauses, resumes and runs schedules, and starts on-demand jobs.", 400);
  }
  const jobs = queueOf(context);
  if (!jobs) return refuse("The job queue is not available in this process: try again shortly.", 503);
  const back = (params: Record<string, string>) => redirect(`/schedules?${new URLSearchParams(params)}`, 303);
  try {
    if (intent === "batch-forecast" || intent === "ingest-daily") {
      const day = String(form.get("day") ?? "").trim();
      if (intent === "ingest-daily" && day !== "" && !/^\d{4}-\d{2}-\d{2}$/.test(day)) {
        return refuse("The day must be a date (YYYY-MM-DD), or empty for the day that just ended.", 400, "day");
      }
      const { id, deduplicated } =
        intent === "batch-forecast"
          ? await enqueueOnce(jobs, "batch-forecast", {})
          : await enqueueOnce(jobs, "ingest-daily", day === "" ? { daysAgo: 1 } : { day });
      await audit(context, `${intent}.start`, `job ${id}`, { deduplicated, via: "page", ...(day ? { day } : {}) });
      return back({ done: intent, job: id, ...(deduplicated ? { joined: "1" } : {}) });
    }
    const name = String(form.get("name") ?? "");
    if (name === "" || name.length > MAX_SCHEDULE_NAME) return refuse("Choose a schedule from the list.", 400, "name");
    if (intent === "run") {
      const job = await jobs.runSchedule(name);
      if (!job) return refuse(`There is no schedule named ${name}.`, 404, "name");
      await audit(context, "schedule.run", `schedule ${name}`, { job: job.id, deduplicated: job.deduplicated });
      return back({ done: "run", name, job: job.id, ...(job.deduplicated ? { joined: "1" } : {}) });
    }
    const changed = intent === "pause" ? await jobs.pauseSchedule(name) : await jobs.resumeSchedule(name);
    if (!changed) return refuse(`There is no schedule named ${name}.`, 404, "name");
    await audit(context, `schedule.${intent}`, `schedule ${name}`, { via: "page" });
    return back({ done: intent, name });
  } catch (err) {
    context.log.error({ err, intent }, "ui: schedule action failed");
    return refuse(`That did not work: ${(err as Error).message}. Try again in a moment.`, 503);
  }
}

const buttonClass =
  "rounded-md border border-slate-300 px-3 py-1.5 text-sm font-medium hover:bg-slate-100 focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60 dark:border-slate-700 dark:hover:bg-slate-800";
const primaryClass =
  "rounded-md bg-blue-700 px-3 py-1.5 text-sm font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60";

export default function Schedules() {
  const { queueAvailable, canOperate, done, schedules } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const navigation = useNavigation();
  const busy = navigation.state === "submitting" && navigation.formAction?.startsWith("/schedules");
  const disabled = busy || !queueAvailable || !canOperate;

  return (
    <div className="space-y-6">
      <section aria-labelledby="schedules-heading" className="space-y-2">
        <h1 id="schedules-heading" className="text-2xl font-semibold">
          Schedules
        </h1>
        <p className="max-w-3xl text-slate-600 dark:text-slate-300">
          What runs by itself and when (all times UTC). A paused schedule stays paused for every replica and across
          restarts until someone resumes it; <strong>Run now</strong> starts its job at once, paused or not. Each run is
          listed under{" "}
          <Link to="/pipelines" className={linkClass}>
            Pipelines
          </Link>
          .
        </p>
        {!canOperate ? (
          <p className="text-sm text-slate-600 dark:text-slate-300">
            Pausing, resuming and starting jobs needs the operator role.
          </p>
        ) : null}
        {done ? (
          <p role="status" className="text-sm text-emerald-700 dark:text-emerald-400" data-testid="done">
            {done}
          </p>
        ) : null}
        {actionData?.error ? (
          <p role="alert" className="text-sm text-red-700 dark:text-red-400" data-testid="refusal">
            {actionData.error}
          </p>
        ) : null}
      </section>

      {!queueAvailable ? (
        <p role="alert" className="text-red-700 dark:text-red-400">
          The job queue is not available in this process, so its schedules cannot be shown: try again shortly.
        </p>
      ) : schedules.length === 0 ? (
        <p className="text-slate-600 dark:text-slate-300">
          No schedule is registered (SCHEDULES=false): nothing runs by itself. The jobs below can still be started.
        </p>
      ) : (
        <TableFrame>
          <caption className="sr-only">Schedules: job, when it runs, next and last run, state and actions</caption>
          <TableHead
            columns={[
              { label: "Schedule" },
              { label: "When (UTC)" },
              { label: "Next run" },
              { label: "Last run" },
              { label: "State" },
              { label: "Actions" },
            ]}
          />
          <tbody data-testid="schedule-rows">
            {schedules.map((s) => (
              <tr key={s.name} className="border-t border-slate-100 align-top dark:border-slate-800">
                <th scope="row" className="px-3 py-2 text-left font-medium">
                  {s.name}
                  <span className="block text-xs font-normal text-slate-600 dark:text-slate-400">
                    {s.kind}
                    {s.help ? `: ${s.help}` : ""}
                  </span>
                </th>
                <td className="px-3 py-2">
                  {s.words ?? "Custom schedule"}
                  <code className="block text-xs text-slate-600 dark:text-slate-400">{s.cron}</code>
                </td>
                <td className="px-3 py-2 whitespace-nowrap tabular-nums">
                  {s.paused ? "paused" : formatDateTime(s.nextRunAt)}
                </td>
                <td className="px-3 py-2">
                  {s.lastRun ? (
                    <>
                      <span className="whitespace-nowrap tabular-nums">{formatDateTime(s.lastRun.at)}</span>{" "}
                      {s.lastRun.status ? <StatusBadge status={s.lastRun.status} /> : <span>(record gone)</span>}
                      {s.lastRun.error ? (
                        <span className="block text-sm break-words text-red-700 dark:text-red-400">
                          {s.lastRun.error}
                        </span>
                      ) : null}
                    </>
                  ) : (
                    "not yet"
                  )}
                </td>
                <td className="px-3 py-2">
                  {s.paused ? <Badge tone="amber">Paused</Badge> : <Badge tone="green">Active</Badge>}
                </td>
                <td className="px-3 py-2">
                  <div className="flex flex-wrap gap-2">
                    <Form method="post">
                      <CsrfField />
                      <input type="hidden" name="name" value={s.name} />
                      <input type="hidden" name="intent" value={s.paused ? "resume" : "pause"} />
                      <button
                        type="submit"
                        disabled={disabled}
                        className={buttonClass}
                        aria-label={`${s.paused ? "Resume" : "Pause"} ${s.name}`}
                      >
                        {s.paused ? "Resume" : "Pause"}
                      </button>
                    </Form>
                    <Form method="post">
                      <CsrfField />
                      <input type="hidden" name="name" value={s.name} />
                      <input type="hidden" name="intent" value="run" />
                      <button
                        type="submit"
                        disabled={disabled}
                        className={primaryClass}
                        aria-label={`Run ${s.name} now`}
                      >
                        Run now
                      </button>
                    </Form>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      )}

      <Panel id="on-demand-heading" title="Start a job now">
        <div className="flex flex-wrap items-end gap-6">
          <Form method="post" className="space-y-2">
            <CsrfField />
            <input type="hidden" name="intent" value="batch-forecast" />
            <p className="max-w-sm text-sm text-slate-600 dark:text-slate-300">
              Forecast the next 7 days of every series from the model in production, without training.
            </p>
            <button type="submit" disabled={disabled} className={primaryClass}>
              Run the batch forecast
            </button>
          </Form>
          <Form method="post" className="flex flex-wrap items-end gap-2">
            <CsrfField />
            <input type="hidden" name="intent" value="ingest-daily" />
            <Field id="ingest-day" label="Day to check (empty: the day that just ended)">
              <input
                id="ingest-day"
                name="day"
                type="date"
                className={inputClass}
                aria-invalid={actionData?.field === "day" || undefined}
              />
            </Field>
            <button type="submit" disabled={disabled} className={primaryClass}>
              Check ingestion
            </button>
          </Form>
        </div>
      </Panel>
    </div>
  );
}
