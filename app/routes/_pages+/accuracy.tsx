import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { coverageSpec, realizedErrorSpec } from "../../charts/accuracy.js";
import { formatDateTime, formatInteger } from "../../components/display.js";
import { Panel } from "../../components/Panel.js";
import { Stat } from "../../components/Stat.js";
import { linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { VegaChart } from "../../components/VegaChart.js";
import { fleetAccuracy } from "../../monitoring/accuracy.server.js";
import { latestAnomalies } from "../../monitoring/anomalies.server.js";
import { listAutoRetrains } from "../../monitoring/auto-retrain.server.js";
import { degradedSeries } from "../../monitoring/drift-check.server.js";
import { describeReason } from "../../monitoring/drift-rules.js";

export const meta: MetaFunction = () => [{ title: "storecast: accuracy" }];

/** Days of the fleet chart. */
const DAYS = 28;

const pct = (x: number | null | undefined, digits = 1) =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : `${(x * 100).toFixed(digits)}%`;
const times = (x: number | null | undefined) =>
  x === null || x === undefined || !Number.isFinite(x) ? "–" : `${x.toFixed(2)}x`;

export async function loader({ context }: LoaderFunctionArgs) {
  const [fleet, degraded, retrains, anomalies] = await Promise.all([
    fleetAccuracy(context.db, { days: DAYS }),
    degradedSeries(context.db, 200),
    listAutoRetrains(context.db, { limit: 20 }),
    latestAnomalies(context.db),
  ]);
  return {
    fleet,
    ratio: context.config.DRIFT_RMSPE_RATIO,
    autoRetrain: context.config.AUTO_RETRAIN,
    degraded: degraded.map((d) => ({
      store: d.store,
      product: d.productname,
      why: d.reasons.map(describeReason),
      since: d.since,
      realized: d.realizedRmspe,
      cv: d.cvRmspe,
      action: d.action,
    })),
    retrains: retrains.map((r) => ({
      id: r.id,
      store: r.store,
      product: r.productname,
      requestedAt: r.requestedAt.toISOString(),
      oldVersion: r.oldVersion,
      newVersion: r.newVersion,
      verdict: r.verdict,
      before: r.beforeRmspe,
      after: r.afterRmspe,
      rolledBack: r.rolledBack,
    })),
    anomalies,
  };
}

const ACTIONS: Record<string, string> = {
  queued: "retraining",
  suggested: "retrain suggested",
  busy: "retrain under way",
  waiting: "waiting: degraded too few nights",
  "did-not-help": "last retrain did not help: needs a person",
  "hourly-limit": "waiting: hourly limit",
  "fleet-share": "waiting: fleet share",
  off: "none (AUTO_RETRAIN=off)",
};

const VERDICTS: Record<string, string> = {
  pending: "waiting for a week of forecasts",
  helped: "helped",
  same: "no change",
  worse: "worse",
  failed: "no new version",
  superseded: "replaced before judged",
};

export default function Accuracy() {
  const { fleet, ratio, autoRetrain, degraded, retrains, anomalies } = useLoaderData<typeof loader>();
  const last7 = fleet.last7;
  const scoredDays = fleet.days.filter((d) => d.rmspe !== null);
  return (
    <div className="space-y-8">
      <section aria-labelledby="accuracy-heading" className="space-y-4">
        <h1 id="accuracy-heading" className="text-2xl font-semibold">
          Forecast accuracy
        </h1>
        <p className="text-slate-600 dark:text-slate-300">
          Every forecast scored against the actual sales of its day, as they arrive; series whose forecasts went wrong,
          why, and what was done about it.
        </p>
        <dl data-testid="accuracy-stats" className="grid grid-cols-2 gap-3 md:grid-cols-4">
          <Stat
            label="Realized RMSPE, last 7 days"
            value={pct(last7.rmspe)}
            note={`CV promised ${pct(last7.cvRmspe)} (${times(last7.vsCv)}); ${formatInteger(last7.errorDays)} series-days`}
          />
          <Stat
            label="Inside the 95% band"
            value={pct(last7.coverage)}
            note={`promised 95%; ${formatInteger(last7.mismatches)} open/closed mismatches`}
          />
          <Stat label="Degraded series" value={formatInteger(degraded.length)} note={`AUTO_RETRAIN=${autoRetrain}`} />
          <Stat
            label="Stores unlike their peers"
            value={anomalies ? formatInteger(anomalies.stores.length) : "–"}
            note={anomalies ? `scan of ${anomalies.day}` : "no scan yet"}
          />
        </dl>
      </section>

      <section aria-labelledby="fleet-heading" className="space-y-3">
        <h2 id="fleet-heading" className="text-lg font-semibold">
          The fleet, day by day
        </h2>
        {scoredDays.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">
            No forecast scored in the last {DAYS} days yet: forecasts are scored as the actual sales of their days
            arrive.
          </p>
        ) : (
          <div className="grid gap-4 lg:grid-cols-2">
            <VegaChart
              label={`Fleet realized RMSPE per day over the last ${DAYS} days, against the CV RMSPE`}
              spec={({ dark }) => realizedErrorSpec(fleet.days, { dark, ratio })!}
              className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
              fallback={
                <p className="text-sm text-slate-600 dark:text-slate-300">
                  The charts need JavaScript; the table below has the same numbers.
                </p>
              }
            />
            <VegaChart
              label={`Interval coverage per day over the last ${DAYS} days, against the promised 95%`}
              spec={({ dark }) => coverageSpec(fleet.days, { dark })!}
              className="rounded-lg border border-slate-200 bg-white p-3 dark:border-slate-800 dark:bg-slate-900"
            />
          </div>
        )}
        {scoredDays.length > 0 ? (
          <details>
            <summary className="cursor-pointer text-sm">The numbers per day</summary>
            <TableFrame>
              <caption className="sr-only">Fleet realized accuracy per day</caption>
              <TableHead
                columns={[
                  { label: "Day" },
                  { label: "Realized RMSPE", numeric: true },
                  { label: "CV RMSPE", numeric: true },
                  { label: "Inside the band", numeric: true },
                  { label: "Bias", numeric: true },
                  { label: "Series-days", numeric: true },
                ]}
              />
              <tbody data-testid="fleet-days">
                {scoredDays.map((d) => (
                  <tr key={d.date} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className="px-3 py-1.5 text-left font-medium tabular-nums">
                      {d.date}
                    </th>
                    <td className="px-3 py-1.5 text-right tabular-nums">{pct(d.rmspe)}</td>
                    <td className="px-3 py-1.5 text-right tabular-nums">{pct(d.cvRmspe)}</td>
                    <td className="px-3 py-1.5 text-right tabular-nums">{pct(d.coverage)}</td>
                    <td className="px-3 py-1.5 text-right tabular-nums">{pct(d.bias)}</td>
                    <td className="px-3 py-1.5 text-right tabular-nums">{formatInteger(d.errorDays)}</td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          </details>
        ) : null}
      </section>

      <Panel id="degraded-heading" title="Degraded series">
        {degraded.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">
            None: every series checked forecasts within {ratio}x its CV error, without a lasting bias or a level shift.
          </p>
        ) : (
          <TableFrame>
            <caption className="sr-only">Degraded series, worst first: why, since when, and what was done</caption>
            <TableHead
              columns={[
                { label: "Series" },
                { label: "Why" },
                { label: "Realized / CV", numeric: true },
                { label: "Since" },
                { label: "Action" },
              ]}
            />
            <tbody data-testid="degraded-rows">
              {degraded.map((d) => (
                <tr
                  key={`${d.store}:${d.product}`}
                  className="border-t border-slate-100 align-top dark:border-slate-800"
                >
                  <th scope="row" className="px-3 py-1.5 text-left font-medium whitespace-nowrap">
                    <Link className={linkClass} to={`/stores/${d.store}?product=${encodeURIComponent(d.product)}`}>
                      Store {d.store}
                    </Link>{" "}
                    <span className="text-slate-500">{d.product}</span>
                  </th>
                  <td className="px-3 py-1.5">{d.why.join("; ")}</td>
                  <td className="px-3 py-1.5 text-right whitespace-nowrap tabular-nums">
                    {pct(d.realized)} / {pct(d.cv)}
                  </td>
                  <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">{d.since ?? "–"}</td>
                  <td className="px-3 py-1.5 whitespace-nowrap">{d.action ? (ACTIONS[d.action] ?? d.action) : "–"}</td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
      </Panel>

      <Panel id="retrains-heading" title="Automatic retrains">
        {retrains.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">
            None yet{autoRetrain === "on" ? "" : ` (AUTO_RETRAIN=${autoRetrain}: degraded series are only listed)`}.
          </p>
        ) : (
          <TableFrame>
            <caption className="sr-only">Automatic retrains, newest first, and whether each helped</caption>
            <TableHead
              columns={[
                { label: "Series" },
                { label: "Asked" },
                { label: "Versions" },
                { label: "Error before / after", numeric: true },
                { label: "Did it help" },
              ]}
            />
            <tbody data-testid="retrain-rows">
              {retrains.map((r) => (
                <tr key={r.id} className="border-t border-slate-100 dark:border-slate-800">
                  <th scope="row" className="px-3 py-1.5 text-left font-medium whitespace-nowrap">
                    <Link className={linkClass} to={`/stores/${r.store}?product=${encodeURIComponent(r.product)}`}>
                      Store {r.store}
                    </Link>{" "}
                    <span className="text-slate-500">{r.product}</span>
                  </th>
                  <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">{formatDateTime(r.requestedAt)}</td>
                  <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">
                    {r.oldVersion ?? "–"} → {r.newVersion ?? "…"}
                  </td>
                  <td className="px-3 py-1.5 text-right whitespace-nowrap tabular-nums">
                    {pct(r.before)} / {pct(r.after)}
                  </td>
                  <td className="px-3 py-1.5">
                    {VERDICTS[r.verdict] ?? r.verdict}
                    {r.rolledBack ? `: rolled back to version ${r.oldVersion}` : ""}
                  </td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
      </Panel>

      <Panel id="anomalies-heading" title="Stores unlike their peers">
        {!anomalies ? (
          <p className="text-slate-600 dark:text-slate-300">No anomaly scan yet: it runs once a day.</p>
        ) : anomalies.stores.length === 0 ? (
          <p className="text-slate-600 dark:text-slate-300">
            None in the scan of {anomalies.day} ({formatInteger(anomalies.storesScanned)} stores, {anomalies.windowDays}{" "}
            days).
          </p>
        ) : (
          <TableFrame>
            <caption className="sr-only">
              Stores whose weekly sales shape is unlike their peers', highest score first
            </caption>
            <TableHead columns={[{ label: "Store" }, { label: "Score", numeric: true }, { label: "How it differs" }]} />
            <tbody data-testid="anomaly-rows">
              {anomalies.stores.map((a) => (
                <tr key={a.store} className="border-t border-slate-100 dark:border-slate-800">
                  <th scope="row" className="px-3 py-1.5 text-left font-medium">
                    <Link className={linkClass} to={`/stores/${a.store}`}>
                      Store {a.store}
                    </Link>
                  </th>
                  <td className="px-3 py-1.5 text-right tabular-nums">{a.score.toFixed(2)}</td>
                  <td className="px-3 py-1.5">{a.reason}</td>
                </tr>
              ))}
            </tbody>
          </TableFrame>
        )}
      </Panel>
    </div>
  );
}
