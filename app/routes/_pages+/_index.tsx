import { type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { formatDateTime, formatDuration, formatInteger, formatMetric } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { Panel } from "../../components/Panel.js";
import { Stat } from "../../components/Stat.js";
import { linkClass } from "../../components/styles.js";
import { useAutoRevalidate } from "../../components/useAutoRevalidate.js";
import { formatDay, todayDay } from "../../days.js";
import { realizedSummary } from "../../monitoring/accuracy.server.js";
import { degradedCount } from "../../monitoring/drift-check.server.js";
import { latestTrainingRun } from "../../pipelines/runs.server.js";
import { overviewStats, streamActivity } from "../../stores/overview.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: overview" }];

/** How often the live figures refresh with JavaScript. */
const LIVE_MS = 5000;

export async function loader({ request, context }: LoaderFunctionArgs) {
  // The old home page searched with ?store=: send such links to the stores list.
  const legacy = new URL(request.url).searchParams.get("store");
  if (legacy !== null) throw redirect(`/stores?q=${encodeURIComponent(legacy.trim().slice(0, 20))}`);
  const [stats, stream, run, realized, degraded] = await Promise.all([
    overviewStats(context.db),
    streamActivity(context.db, formatDay(todayDay())),
    latestTrainingRun(context.db),
    realizedSummary(context.db),
    degradedCount(context.db),
  ]);
  return { stats, stream, run, realized, degraded, database: context.db.kind, renderedAt: new Date() };
}

/** `2026-11-26 15:31:07 UTC`: the stream moves by the second. */
function formatSeconds(value: Date | string | null): string {
  if (value === null) return "–";
  const ms = value instanceof Date ? value.getTime() : Date.parse(value);
  return Number.isFinite(ms) ? `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC` : "–";
}

const STATUS_CLASS: Record<string, string> = {
  SUCCEEDED: "text-emerald-700 dark:text-emerald-400",
  FAILED: "text-red-700 dark:text-red-400",
  RUNNING: "text-blue-700 dark:text-blue-400",
  PENDING: "text-slate-600 dark:text-slate-300",
  STOPPED: "text-amber-700 dark:text-amber-400",
};

export default function Overview() {
  const { stats, stream, run, realized, degraded, database, renderedAt } = useLoaderData<typeof loader>();
  useAutoRevalidate(LIVE_MS);
  const running = run?.status === "RUNNING";

  return (
    <div className="space-y-8">
      <section aria-labelledby="overview-heading" className="space-y-4">
        <div className="flex flex-wrap items-end justify-between gap-4">
          <h1 id="overview-heading" className="text-2xl font-semibold">
            Overview
          </h1>
          <Form method="get" action="/stores" role="search" className="flex flex-wrap items-end gap-2">
            <Field id="store-search" label="Find a store">
              <input
                id="store-search"
                name="q"
                type="search"
                inputMode="numeric"
                autoComplete="off"
                aria-describedby="store-search-hint"
                className="mt-1 w-44 rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900"
                placeholder="e.g. 262"
              />
              <span id="store-search-hint" className="sr-only">
                A store number, or the first digits of one
              </span>
            </Field>
            <button
              type="submit"
              className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
            >
              Search
            </button>
          </Form>
        </div>

        {stats.series === 0 ? (
          <p className="rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950">
            No sales history yet. Load a Rossmann-format file with <code>npm run load-history -- --csv train.csv</code>,
            or restart with an empty database to generate one.
          </p>
        ) : null}

        <dl data-testid="stats" className="grid grid-cols-2 gap-3 md:grid-cols-4">
          <Stat label="Stores" value={formatInteger(stats.stores)} />
          <Stat label="Series" value={formatInteger(stats.series)} note="store and product pairs" />
          <Stat label="Models in production" value={formatInteger(stats.models)} />
          <Stat
            label="Median CV RMSPE"
            value={formatMetric(stats.medianRmspe, "ratio")}
            note={
              stats.goodModelsShare === null
                ? "no model trained yet"
                : `across ${formatInteger(stats.models)} models; ${Math.round(stats.goodModelsShare * 100)}% at or under 0.200`
            }
          />
          <Stat
            label="Realized RMSPE, last 7 days"
            value={formatMetric(realized.rmspe, "ratio")}
            note={
              realized.rmspe === null ? (
                "no forecast scored yet"
              ) : (
                <>
                  {realized.vsCv === null ? "" : `${realized.vsCv.toFixed(2)}x the CV promise; `}
                  <Link className={linkClass} to="/accuracy">
                    accuracy
                  </Link>
                </>
              )
            }
          />
          <Stat
            label="Degraded series"
            value={formatInteger(degraded)}
            note={
              <Link className={linkClass} to="/accuracy#degraded-heading">
                which, and why
              </Link>
            }
          />
        </dl>
        <p className="text-sm text-slate-500 dark:text-slate-400">
          Sales history {stats.firstDate ?? "–"} to {stats.lastDate ?? "–"}. Database: {database}.
        </p>
      </section>

      <div className="grid gap-6 md:grid-cols-2">
        <Panel id="stream-heading" title="Live sales stream">
          <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm" data-testid="stream-activity">
            <dt className="text-slate-500 dark:text-slate-400">Last ingested record</dt>
            <dd className="tabular-nums">{formatSeconds(stream.lastRecordAt)}</dd>
            <dt className="text-slate-500 dark:text-slate-400">Records in the last minute</dt>
            <dd className="tabular-nums" data-testid="records-last-minute">
              {formatInteger(stream.lastMinute)}
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">Records today</dt>
            <dd className="tabular-nums" data-testid="records-today">
              {formatInteger(stream.todayRows)}
            </dd>
            <dt className="text-slate-500 dark:text-slate-400">Rejected records</dt>
            <dd className="tabular-nums">
              <Link to="/rejects" className={linkClass}>
                {formatInteger(stream.rejects)}
              </Link>
            </dd>
          </dl>
          <p className="text-xs text-slate-500 dark:text-slate-400">
            As of {formatSeconds(renderedAt)}; refreshes every {LIVE_MS / 1000} s while this page is open.{" "}
            <Link to="/stream" className={linkClass}>
              Partitions, consumers and lag
            </Link>
          </p>
        </Panel>

        <Panel id="run-heading" title="Latest weekly training run">
          {run ? (
            <>
              <dl className="grid grid-cols-2 gap-x-4 gap-y-2 text-sm" data-testid="latest-run">
                <dt className="text-slate-500 dark:text-slate-400">Status</dt>
                <dd className={`font-medium ${STATUS_CLASS[run.status] ?? ""}`}>{run.status}</dd>
                <dt className="text-slate-500 dark:text-slate-400">Started</dt>
                <dd className="tabular-nums">{formatDateTime(run.startedAt)}</dd>
                <dt className="text-slate-500 dark:text-slate-400">Duration</dt>
                <dd className="tabular-nums">{running ? "running" : formatDuration(run.durationMs)}</dd>
                <dt className="text-slate-500 dark:text-slate-400">Series trained</dt>
                <dd className="tabular-nums">
                  {running
                    ? `${formatInteger(run.progressDone)} of ${formatInteger(run.progressTotal)}`
                    : `${formatInteger(run.trained ?? run.progressDone)}${run.failed ? `, ${formatInteger(run.failed)} failed` : ""}${run.skipped ? `, ${formatInteger(run.skipped)} skipped` : ""}`}
                </dd>
                <dt className="text-slate-500 dark:text-slate-400">Kind</dt>
                <dd>{run.kind === "train-weekly" ? "weekly schedule" : "train all (on demand)"}</dd>
              </dl>
              {running ? (
                <div className="space-y-1">
                  <label htmlFor="overview-training-progress" className="text-sm">
                    Training every series: {formatInteger(run.progressDone)} of {formatInteger(run.progressTotal)}
                  </label>
                  <progress
                    id="overview-training-progress"
                    className="w-full"
                    max={run.progressTotal || 1}
                    value={run.progressDone}
                  />
                </div>
              ) : null}
            </>
          ) : (
            <p className="text-sm text-slate-600 dark:text-slate-300">No training run yet.</p>
          )}
          <p className="text-sm">
            <Link to="/pipelines" className={linkClass}>
              All pipeline runs
            </Link>
          </p>
        </Panel>
      </div>
    </div>
  );
}
