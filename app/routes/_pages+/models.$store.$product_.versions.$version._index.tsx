import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Link, useLoaderData } from "@remix-run/react";
import { cvFoldsSpec } from "../../charts/versions.js";
import { Badge } from "../../components/Badge.js";
import { Breadcrumbs } from "../../components/Breadcrumbs.js";
import { formatDateTime, formatDuration, formatInteger, formatMetric } from "../../components/display.js";
import { Panel } from "../../components/Panel.js";
import { Stat } from "../../components/Stat.js";
import { linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { VegaChart } from "../../components/VegaChart.js";
import { getRun } from "../../pipelines/runs.server.js";
import { configSettings, type ParameterArray } from "../../registry/fitted-parameters.js";
import { versionDetail } from "../../registry/version-detail.server.js";
import { listVersions } from "../../registry/versions.server.js";
import { seriesOf, versionParam } from "./model-address.server.js";
import { notFoundPage } from "./store-page.server.js";

export const meta: MetaFunction = ({ params }) => [
  { title: `storecast: version ${params.version ?? ""} of store ${params.store ?? ""} ${params.product ?? ""}` },
];

export async function loader({ params, context }: LoaderFunctionArgs) {
  const key = seriesOf(params);
  const version = versionParam(params.version);
  const v = await versionDetail(context.db, { ...key, version });
  if (!v) {
    // Only on the failure path: say whether the model or the version is missing.
    const versions = await listVersions(context.db, key.store, key.productname);
    const what = `store ${key.store} ${key.productname}`;
    throw notFoundPage(
      versions.length === 0
        ? `There is no model of ${what}.`
        : `There is no version ${version} of the model of ${what}; its versions are 1 to ${versions[0]!.version}.`,
    );
  }
  const run = v.pipelineRunId === null ? null : await getRun(context.db, v.pipelineRunId);
  const production = v.stage === "production" ? v.version : await productionOf(context, key);
  return {
    store: key.store,
    productname: key.productname,
    name: v.name,
    version: v.version,
    stage: v.stage,
    production,
    createdAt: v.createdAt.toISOString(),
    promotedAt: v.promotedAt?.toISOString() ?? null,
    trainStart: v.trainStart,
    trainEnd: v.trainEnd,
    trainRows: v.trainRows,
    durationMs: v.durationMs,
    metrics: { rmspe: v.cvRmspe, mape: v.cvMape, rmse: v.cvRmse, mae: v.cvMae, mdae: v.cvMdae },
    folds: v.folds,
    config: configSettings(v.config),
    fitted: v.fitted,
    run:
      v.pipelineRunId === null ? null : { id: v.pipelineRunId, kind: run?.kind ?? null, status: run?.status ?? null },
  };
}

/** The series' production version number (null: none), for the "compare with production" link. */
async function productionOf(
  context: LoaderFunctionArgs["context"],
  key: { store: number; productname: string },
): Promise<number | null> {
  const versions = await listVersions(context.db, key.store, key.productname);
  return versions.find((x) => x.stage === "production")?.version ?? null;
}

const number = (n: number) =>
  Math.abs(n) >= 1e4 || (n !== 0 && Math.abs(n) < 1e-3) ? n.toExponential(3) : n.toFixed(4);
const WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const cell = "px-3 py-1.5";

function ArrayRow({ a }: { a: ParameterArray }) {
  return (
    <tr className="border-t border-slate-100 align-top dark:border-slate-800">
      <th scope="row" className={`${cell} font-mono font-medium`}>
        {a.name}
        <div className="font-sans text-xs font-normal text-slate-500 dark:text-slate-400">{a.note}</div>
      </th>
      <td className={`${cell} text-right tabular-nums`}>{a.count}</td>
      <td className={`${cell} text-right tabular-nums`}>{a.min === null ? "–" : number(a.min)}</td>
      <td className={`${cell} text-right tabular-nums`}>{a.mean === null ? "–" : number(a.mean)}</td>
      <td className={`${cell} text-right tabular-nums`}>{a.max === null ? "–" : number(a.max)}</td>
      <td className={cell}>
        {a.count > 0 ? (
          // <details> opens without JavaScript.
          <details>
            <summary className="cursor-pointer text-blue-700 dark:text-blue-400">Show all {a.count} values</summary>
            <ol
              data-testid={`values-${a.name}`}
              className="mt-2 grid max-h-64 grid-cols-2 gap-x-4 overflow-y-auto font-mono text-xs tabular-nums sm:grid-cols-4"
            >
              {a.values.map((value, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: the position is the value's identity.
                <li key={i}>
                  <span className="text-slate-500">[{i}]</span> {number(value)}
                </li>
              ))}
            </ol>
          </details>
        ) : null}
      </td>
    </tr>
  );
}

export default function ModelVersion() {
  const d = useLoaderData<typeof loader>();
  const base = `/models/${d.store}/${encodeURIComponent(d.productname)}`;
  const otherForCompare = d.production !== null && d.production !== d.version ? d.production : null;
  return (
    <div className="space-y-5">
      <Breadcrumbs
        parents={[
          { to: "/models", label: "Models" },
          {
            to: base,
            label: (
              <>
                Store {d.store} / {d.productname}
              </>
            ),
          },
        ]}
        current={<>Version {d.version}</>}
      />

      <section aria-labelledby="version-heading" className="space-y-2">
        <h1 id="version-heading" className="text-2xl font-semibold">
          Version {d.version} of store {d.store}, {d.productname}
        </h1>
        <p className="font-mono text-sm text-slate-600 break-all dark:text-slate-400">{d.name}</p>
        <p data-testid="version-stage">
          <Badge tone={d.stage === "production" ? "green" : "grey"}>{d.stage}</Badge>{" "}
          <span className="text-sm text-slate-700 dark:text-slate-300">
            {d.stage === "production"
              ? `In production since ${formatDateTime(d.promotedAt)}.`
              : d.promotedAt
                ? `Archived; it was last promoted to production ${formatDateTime(d.promotedAt)}.`
                : "Archived; it has never been in production."}{" "}
            Trained {formatDateTime(d.createdAt)}.
          </span>
        </p>
        <p className="text-sm" data-testid="version-run">
          {d.run ? (
            <>
              Made by{" "}
              <Link to={`/pipelines/${d.run.id}`} className={linkClass}>
                pipeline run {d.run.id}
              </Link>
              {d.run.kind ? ` (${d.run.kind}, ${d.run.status?.toLowerCase()})` : " (the run's record has been deleted)"}
              .
            </>
          ) : (
            "Not made by a recorded pipeline run (imported, or its run has been deleted)."
          )}
        </p>
        <p className="flex flex-wrap gap-4 text-sm">
          <a href={`${base}/versions/${d.version}/export`} download className={linkClass}>
            Download (JSON)
          </a>
          {otherForCompare !== null ? (
            <Link to={`${base}/compare?a=${otherForCompare}&b=${d.version}`} className={linkClass}>
              Compare with production (version {otherForCompare})
            </Link>
          ) : null}
          <Link to={base} className={linkClass}>
            All versions
          </Link>
        </p>
      </section>

      <dl className="grid grid-cols-2 gap-3 md:grid-cols-4">
        <Stat label="CV RMSPE" value={formatMetric(d.metrics.rmspe, "ratio")} note="mean over folds" />
        <Stat label="CV MAPE" value={formatMetric(d.metrics.mape, "ratio")} note="mean over folds" />
        <Stat label="CV RMSE" value={formatMetric(d.metrics.rmse, "sales")} note="sales units" />
        <Stat label="CV MAE" value={formatMetric(d.metrics.mae, "sales")} note="sales units" />
        <Stat label="Training window" value={<span className="text-base">{`${d.trainStart} to ${d.trainEnd}`}</span>} />
        <Stat label="Days fitted" value={formatInteger(d.trainRows)} note="open days in the window" />
        <Stat label="Fit time" value={formatDuration(d.durationMs)} />
        <Stat label="CV folds" value={formatInteger(d.folds.length)} />
      </dl>

      <Panel id="cv-heading" title="Cross-validation per fold">
        {d.folds.length > 0 ? (
          <>
            <VegaChart
              label={`Cross-validation RMSPE and MAPE of ${d.folds.length} folds`}
              spec={({ dark }) => cvFoldsSpec(d.folds, { dark })!}
              fallback={
                <p className="text-sm text-slate-600 dark:text-slate-300">
                  The chart needs JavaScript; the table below has every fold's figures.
                </p>
              }
            />
            <TableFrame>
              <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">
                Walk-forward folds: trained on the days up to the test window, scored on its open days.
              </caption>
              <TableHead
                columns={[
                  { label: "Fold", numeric: true },
                  { label: "Trained on", showFrom: "md" },
                  { label: "Tested on" },
                  { label: "Days", numeric: true, showFrom: "sm" },
                  { label: "RMSPE", numeric: true },
                  { label: "MAPE", numeric: true },
                  { label: "RMSE", numeric: true, showFrom: "sm" },
                  { label: "MAE", numeric: true, showFrom: "md" },
                  { label: "MdAE", numeric: true, showFrom: "lg" },
                ]}
              />
              <tbody data-testid="fold-rows">
                {d.folds.map((f) => (
                  <tr key={f.fold} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className={`${cell} text-right font-medium tabular-nums`}>
                      {f.fold}
                    </th>
                    <td className={`hidden ${cell} whitespace-nowrap tabular-nums md:table-cell`}>
                      {f.trainStart} to {f.trainEnd}
                    </td>
                    <td className={`${cell} whitespace-nowrap tabular-nums`}>
                      {f.testStart} to {f.testEnd}
                    </td>
                    <td className={`hidden ${cell} text-right tabular-nums sm:table-cell`}>{f.testDays}</td>
                    <td className={`${cell} text-right tabular-nums`}>{formatMetric(f.rmspe, "ratio")}</td>
                    <td className={`${cell} text-right tabular-nums`}>{formatMetric(f.mape, "ratio")}</td>
                    <td className={`hidden ${cell} text-right tabular-nums sm:table-cell`}>
                      {formatMetric(f.rmse, "sales")}
                    </td>
                    <td className={`hidden ${cell} text-right tabular-nums md:table-cell`}>
                      {formatMetric(f.mae, "sales")}
                    </td>
                    <td className={`hidden ${cell} text-right tabular-nums lg:table-cell`}>
                      {formatMetric(f.mdae, "sales")}
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableFrame>
          </>
        ) : (
          <p className="text-sm text-slate-600 dark:text-slate-300">
            This version has no cross-validation folds (too little history to hold days out).
          </p>
        )}
      </Panel>

      <div className="grid gap-5 lg:grid-cols-2">
        <Panel id="config-heading" title="Configuration">
          <SettingsTable rows={d.config} testId="config-rows" caption="The options the version was trained with." />
          {d.fitted && d.fitted.resolved.length > 0 ? (
            <SettingsTable
              rows={d.fitted.resolved}
              testId="resolved-rows"
              caption="As fitted: yearly seasonality decided, only the regressors the data could use."
            />
          ) : null}
        </Panel>

        <Panel id="params-heading" title="Fitted parameters">
          {d.fitted ? (
            <>
              <TableFrame>
                <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">
                  Prophet's trend and noise, in its scaled units.
                </caption>
                <TableHead columns={[{ label: "Parameter" }, { label: "Value", numeric: true }]} />
                <tbody>
                  {d.fitted.scalars.map((s) => (
                    <tr key={s.name} className="border-t border-slate-100 dark:border-slate-800">
                      <th scope="row" className={`${cell} font-mono font-medium`}>
                        {s.name}
                        <div className="font-sans text-xs font-normal text-slate-500 dark:text-slate-400">{s.note}</div>
                      </th>
                      <td className={`${cell} text-right tabular-nums`}>{number(s.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </TableFrame>
              <TableFrame>
                <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">
                  Coefficients (beta): what each seasonality term and regressor multiplies by.
                </caption>
                <TableHead columns={[{ label: "Feature" }, { label: "Coefficient", numeric: true }]} />
                <tbody data-testid="coefficient-rows">
                  {d.fitted.coefficients.map((c) => (
                    <tr key={c.feature} className="border-t border-slate-100 dark:border-slate-800">
                      <th scope="row" className={`${cell} font-mono font-medium`}>
                        {c.feature}
                      </th>
                      <td className={`${cell} text-right tabular-nums`}>{number(c.value)}</td>
                    </tr>
                  ))}
                </tbody>
              </TableFrame>
              {d.fitted.weekdayOpen ? (
                <p className="text-sm">
                  Share of open days in the window:{" "}
                  {d.fitted.weekdayOpen.map((w, i) => `${WEEKDAYS[i]} ${Math.round(w * 100)}%`).join(", ")}.
                </p>
              ) : null}
            </>
          ) : (
            <p className="text-sm text-slate-600 dark:text-slate-300">
              The stored model is not one this page can read; download the JSON to see it.
            </p>
          )}
        </Panel>
      </div>

      {d.fitted && d.fitted.arrays.length > 0 ? (
        <Panel id="arrays-heading" title="Parameter arrays">
          <TableFrame>
            <TableHead
              columns={[
                { label: "Array" },
                { label: "Values", numeric: true },
                { label: "Min", numeric: true },
                { label: "Mean", numeric: true },
                { label: "Max", numeric: true },
                { label: "All values" },
              ]}
            />
            <tbody>
              {d.fitted.arrays.map((a) => (
                <ArrayRow key={a.name} a={a} />
              ))}
            </tbody>
          </TableFrame>
        </Panel>
      ) : null}
    </div>
  );
}

function SettingsTable({
  rows,
  caption,
  testId,
}: {
  rows: { name: string; value: string }[];
  caption: string;
  testId: string;
}) {
  if (rows.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-300">No configuration stored.</p>;
  return (
    <TableFrame>
      <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">{caption}</caption>
      <TableHead columns={[{ label: "Setting" }, { label: "Value" }]} />
      <tbody data-testid={testId}>
        {rows.map((r) => (
          <tr key={r.name} className="border-t border-slate-100 dark:border-slate-800">
            <th scope="row" className={`${cell} font-mono font-medium`}>
              {r.name}
            </th>
            <td className={`${cell} break-all`}>{r.value}</td>
          </tr>
        ))}
      </tbody>
    </TableFrame>
  );
}
