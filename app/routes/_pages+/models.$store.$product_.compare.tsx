import { data, type LoaderFunctionArgs, type MetaFunction } from "@remix-run/node";
import { Form, Link, useLoaderData } from "@remix-run/react";
import { compareByDate, compareForecastSpec, forecastCoverage } from "../../charts/versions.js";
import { Badge } from "../../components/Badge.js";
import { Breadcrumbs } from "../../components/Breadcrumbs.js";
import { formatDifference, formatInteger, formatMetric } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { Panel } from "../../components/Panel.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { VegaChart } from "../../components/VegaChart.js";
import { forecastsAgainstActuals } from "../../forecasting/version-forecasts.server.js";
import { compareMetrics } from "../../registry/version-comparison.js";
import { versionPair } from "../../registry/version-detail.server.js";
import type { VersionSummary } from "../../registry/versions.server.js";
import { type CompareField, compareQuery, seriesOf } from "./model-address.server.js";
import { notFoundPage } from "./store-page.server.js";

export const meta: MetaFunction = ({ params }) => [
  { title: `storecast: compare versions of store ${params.store ?? ""} ${params.product ?? ""}` },
];

const side = (v: VersionSummary) => ({
  version: v.version,
  stage: v.stage,
  trainStart: v.trainStart,
  trainEnd: v.trainEnd,
  trainRows: v.trainRows,
  createdAt: v.createdAt.toISOString(),
});

/**
 * GET ?a=3&b=5. A missing, malformed or unknown `a` or `b` answers 400 with the page and a message
 * naming the field; the same version twice is shown with a note; a series without a model is a 404.
 */
export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const key = seriesOf(params);
  const query = compareQuery(new URL(request.url).searchParams);
  const pair = await versionPair(context.db, key, query.a ?? 0, query.b ?? 0);
  if (pair.versions.length === 0) throw notFoundPage(`There is no model of store ${key.store} ${key.productname}.`);
  const choices = pair.versions.map((v) => ({ version: v.version, stage: v.stage }));
  const production = pair.versions.find((v) => v.stage === "production")?.version ?? pair.versions[0]!.version;
  const base = { store: key.store, productname: key.productname, choices };
  // The form's preselection: what was asked when it names a version, else production and the newest other.
  const defaults = {
    a: pair.a?.version ?? production,
    b:
      pair.b?.version ??
      pair.versions.find((v) => v.version !== (pair.a?.version ?? production))?.version ??
      production,
  };
  const refuse = (field: CompareField, message: string) =>
    data({ ...base, selected: defaults, error: { field, message }, comparison: null }, { status: 400 });
  if (!query.ok) return refuse(query.field, query.message);
  const what = `store ${key.store} ${key.productname}`;
  if (!pair.a) return refuse("a", `a: there is no version ${query.a} of ${what}`);
  if (!pair.b) return refuse("b", `b: there is no version ${query.b} of ${what}`);
  const same = pair.a.version === pair.b.version;
  const stored = await forecastsAgainstActuals(
    context.db,
    key,
    same ? [pair.a.version] : [pair.a.version, pair.b.version],
  );
  return {
    ...base,
    selected: { a: pair.a.version, b: pair.b.version },
    error: null,
    comparison: {
      same,
      a: side(pair.a),
      b: side(pair.b),
      metrics: compareMetrics(pair.a, pair.b),
      forecasts: stored.forecasts,
      actuals: stored.actuals,
    },
  };
}

const cell = "px-3 py-1.5";
export default function CompareVersions() {
  const d = useLoaderData<typeof loader>();
  const base = `/models/${d.store}/${encodeURIComponent(d.productname)}`;
  const c = d.comparison;
  const versionLink = (n: number) => (
    <Link to={`${base}/versions/${n}`} className={linkClass}>
      version {n}
    </Link>
  );
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
        current="Compare"
      />
      <h1 className="text-2xl font-semibold">
        Compare versions of store {d.store}, {d.productname}
      </h1>

      {/* A GET form: works without JavaScript, and the address can be shared. */}
      <Form method="get" className="flex flex-wrap items-end gap-3" aria-label="Choose two versions">
        {(["a", "b"] as const).map((field) => (
          <Field key={field} id={`compare-${field}`} label={`Version ${field.toUpperCase()}`}>
            <select
              id={`compare-${field}`}
              name={field}
              defaultValue={d.selected[field]}
              aria-invalid={d.error?.field === field ? true : undefined}
              aria-describedby={d.error?.field === field ? "compare-error" : undefined}
              className={inputClass}
            >
              {d.choices.map((v) => (
                <option key={v.version} value={v.version}>
                  {v.version}
                  {v.stage === "production" ? " (production)" : ""}
                </option>
              ))}
            </select>
          </Field>
        ))}
        <button
          type="submit"
          className="rounded-md bg-blue-700 px-4 py-2 text-sm font-medium text-white hover:bg-blue-800 dark:bg-blue-500 dark:text-slate-950"
        >
          Compare
        </button>
      </Form>

      {d.error ? (
        <p
          id="compare-error"
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-4 py-2 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
        >
          {d.error.message}
        </p>
      ) : null}

      {c ? (
        <>
          {c.same ? (
            <p
              role="status"
              className="rounded-md border border-amber-300 bg-amber-50 px-4 py-2 dark:border-amber-700 dark:bg-amber-950"
            >
              A and B are both version {c.a.version}: every difference is zero. Choose two different versions.
            </p>
          ) : null}
          <Panel id="metrics-heading" title="Cross-validation metrics">
            <TableFrame>
              <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">
                Means over each version's folds; errors, so lower is better. Difference: B − A.
              </caption>
              <TableHead
                columns={[
                  { label: "Metric" },
                  { key: "a", label: <>A: version {c.a.version}</>, numeric: true },
                  { key: "b", label: <>B: version {c.b.version}</>, numeric: true },
                  { label: "Difference (B − A)", numeric: true },
                  { label: "Better" },
                ]}
              />
              <tbody data-testid="metric-rows">
                {c.metrics.map((m) => (
                  <tr key={m.key} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className={`${cell} font-medium`}>
                      {m.label}
                    </th>
                    <td className={`${cell} text-right tabular-nums`}>{formatMetric(m.a, m.kind)}</td>
                    <td className={`${cell} text-right tabular-nums`}>{formatMetric(m.b, m.kind)}</td>
                    <td className={`${cell} text-right tabular-nums`}>
                      {m.difference === null ? "–" : formatDifference(m.difference, m.kind)}
                    </td>
                    <td className={cell}>{m.better === null ? "–" : m.better.toUpperCase()}</td>
                  </tr>
                ))}
                {[
                  {
                    label: "Stage",
                    a: <Badge tone={c.a.stage === "production" ? "green" : "grey"}>{c.a.stage}</Badge>,
                    b: <Badge tone={c.b.stage === "production" ? "green" : "grey"}>{c.b.stage}</Badge>,
                  },
                  {
                    label: "Training window",
                    a: `${c.a.trainStart} to ${c.a.trainEnd}`,
                    b: `${c.b.trainStart} to ${c.b.trainEnd}`,
                  },
                  { label: "Days fitted", a: formatInteger(c.a.trainRows), b: formatInteger(c.b.trainRows) },
                ].map((r) => (
                  <tr key={r.label} className="border-t border-slate-100 dark:border-slate-800">
                    <th scope="row" className={`${cell} font-medium`}>
                      {r.label}
                    </th>
                    <td className={`${cell} text-right whitespace-nowrap tabular-nums`}>{r.a}</td>
                    <td className={`${cell} text-right whitespace-nowrap tabular-nums`}>{r.b}</td>
                    <td className={cell} />
                    <td className={cell} />
                  </tr>
                ))}
              </tbody>
            </TableFrame>
            <p className="text-sm">
              Details: {versionLink(c.a.version)}
              {c.same ? null : <>, {versionLink(c.b.version)}</>}.
            </p>
          </Panel>
          <ForecastPanel comparison={c} />
        </>
      ) : null}
    </div>
  );
}

type Comparison = NonNullable<ReturnType<typeof useLoaderData<typeof loader>>["comparison"]>;

function ForecastPanel({ comparison: c }: { comparison: Comparison }) {
  const input = { actuals: c.actuals, forecasts: c.forecasts };
  const coverage = forecastCoverage(input);
  const table = compareByDate(input, c.a.version, c.b.version);
  const anyStored = coverage.some((x) => x.days > 0);
  return (
    <Panel id="forecasts-heading" title="Forecasts against actual sales">
      <ul className="space-y-1 text-sm" data-testid="forecast-coverage">
        {coverage.map((x) => (
          <li key={x.version}>
            {x.days > 0
              ? `Version ${x.version}: ${x.days} stored forecast days, ${x.from} to ${x.to}; ${x.withActual} of them have actual sales.`
              : `Version ${x.version} has no stored forecast: forecasts are written only while a version is in production (by its training run and the batch forecast).`}
          </li>
        ))}
      </ul>
      {anyStored ? (
        <>
          <VegaChart
            label={`Actual sales and the stored forecasts of versions ${c.same ? c.a.version : `${c.a.version} and ${c.b.version}`}`}
            spec={({ dark }) => compareForecastSpec(input, { dark })!}
            fallback={
              <p className="text-sm text-slate-600 dark:text-slate-300">
                The chart needs JavaScript; the table below has every forecast day.
              </p>
            }
          />
          <TableFrame>
            <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">
              Each forecast day with the actual sales where they have arrived.
            </caption>
            <TableHead
              columns={[
                { label: "Date" },
                { label: "Actual", numeric: true },
                { key: "a", label: <>Version {c.a.version}</>, numeric: true },
                ...(c.same ? [] : [{ key: "b", label: <>Version {c.b.version}</>, numeric: true }]),
              ]}
            />
            <tbody data-testid="forecast-rows">
              {table.map((r) => (
                <tr key={r.date} className="border-t border-slate-100 dark:border-slate-800">
                  <th scope="row" className={`${cell} font-medium whitespace-nowrap tabular-nums`}>
                    {r.date}
                  </th>
                  <td className={`${cell} text-right tabular-nums`}>
                    {r.actual === null ? "–" : formatInteger(r.actual)}
                  </td>
                  <td className={`${cell} text-right tabular-nums`}>{r.a === null ? "–" : formatInteger(r.a)}</td>
                  {c.same ? null : (
                    <td className={`${cell} text-right tabular-nums`}>{r.b === null ? "–" : formatInteger(r.b)}</td>
                  )}
                </tr>
              ))}
            </tbody>
          </TableFrame>
        </>
      ) : null}
    </Panel>
  );
}
