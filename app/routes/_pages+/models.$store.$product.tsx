import { type ActionFunctionArgs, data, type LoaderFunctionArgs, type MetaFunction, redirect } from "@remix-run/node";
import { Form, Link, useActionData, useLoaderData } from "@remix-run/react";
import { Badge } from "../../components/Badge.js";
import { Breadcrumbs } from "../../components/Breadcrumbs.js";
import { ConfirmDialog } from "../../components/ConfirmDialog.js";
import { formatDateTime, formatDuration, formatInteger, formatMetric } from "../../components/display.js";
import { Field } from "../../components/Field.js";
import { inputClass, linkClass } from "../../components/styles.js";
import { TableFrame, TableHead } from "../../components/Table.js";
import { NotFoundError } from "../../errors.js";
import { assertSeriesExists } from "../../forecasting/series-data.server.js";
import { promoteVersion } from "../../registry/register.server.js";
import { listVersions } from "../../registry/versions.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { readForm } from "./forms.server.js";
import { seriesOf } from "./model-address.server.js";
import { notFoundPage } from "./store-page.server.js";

export const meta: MetaFunction<typeof loader> = ({ params }) => [
  { title: `storecast: model of store ${params.store ?? ""} ${params.product ?? ""}` },
];

/** A version number from a query or form field, or null. */
function versionOf(value: FormDataEntryValue | string | null): number | null {
  if (typeof value !== "string" || !/^\d{1,9}$/.test(value)) return null;
  const n = Number(value);
  return n >= 1 ? n : null;
}

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const { store, productname } = seriesOf(params);
  const versions = await listVersions(context.db, store, productname);
  if (versions.length === 0) {
    // A series with history but no model yet is a page ("not trained yet"); anything else is a 404.
    try {
      await assertSeriesExists(context.db, { store, productname });
    } catch (err) {
      if (err instanceof NotFoundError) throw notFoundPage(err.message);
      throw err;
    }
  }
  const search = new URL(request.url).searchParams;
  return {
    store,
    productname,
    name: versions[0]?.name ?? null,
    confirm: versionOf(search.get("confirm")),
    promoted: versionOf(search.get("promoted")),
    versions: versions.map((v) => ({
      version: v.version,
      stage: v.stage,
      trainStart: v.trainStart,
      trainEnd: v.trainEnd,
      trainRows: v.trainRows,
      cvRmspe: v.cvRmspe,
      cvRmse: v.cvRmse,
      cvMape: v.cvMape,
      cvMae: v.cvMae,
      folds: v.cv?.folds.length ?? 0,
      durationMs: v.durationMs,
      pipelineRunId: v.pipelineRunId,
      createdAt: v.createdAt.toISOString(),
      promotedAt: v.promotedAt?.toISOString() ?? null,
    })),
  };
}

/**
 * The promote form (the "Confirm" step) posts here: the version goes to production and the current
 * one is archived, in one registry transaction. Then back to the page (POST, redirect, GET), which
 * says what happened; a refusal is shown next to the table.
 */
export async function action({ request, params, context }: ActionFunctionArgs) {
  requireRole(context, request, "operator");
  const { store, productname } = seriesOf(params);
  const form = await readForm(request, context);
  if (!form) return data({ error: "The form could not be read: send it from this page." }, { status: 400 });
  if (form.get("intent") !== "promote") {
    return data({ error: "Unknown action: this form only promotes a version." }, { status: 400 });
  }
  const version = versionOf(form.get("version"));
  if (version === null) {
    return data({ error: "Choose a version to promote: a version number is a positive integer." }, { status: 400 });
  }
  try {
    await promoteVersion(context.db, store, productname, version);
  } catch (err) {
    if (err instanceof NotFoundError) {
      return data({ error: `Version ${version} does not exist for store ${store} ${productname}.` }, { status: 404 });
    }
    throw err;
  }
  await audit(context, "model.promote", `store ${store} product ${productname} version ${version}`, { via: "page" });
  return redirect(`/models/${store}/${encodeURIComponent(productname)}?promoted=${version}`, 303);
}

const buttonClass =
  "rounded-md px-3 py-1.5 text-sm font-medium focus-visible:outline-2 focus-visible:outline-offset-2 disabled:opacity-60";

function StageBadge({ stage }: { stage: string }) {
  return <Badge tone={stage === "production" ? "green" : "grey"}>{stage}</Badge>;
}

type Version = ReturnType<typeof useLoaderData<typeof loader>>["versions"][number];

/** The confirm step (the "Promote" button led here with ?confirm=N). */
function ConfirmPromotion({
  target,
  current,
  cancelHref,
}: {
  target: Version;
  current: Version | undefined;
  cancelHref: string;
}) {
  return (
    <ConfirmDialog
      title={`Promote version ${target.version} to production?`}
      fields={{ intent: "promote", version: String(target.version) }}
      confirmLabel="Confirm"
      cancelHref={cancelHref}
    >
      <p>
        Version {target.version} (trained {formatDateTime(target.createdAt)} on {target.trainStart} to {target.trainEnd}
        , CV RMSPE {formatMetric(target.cvRmspe, "ratio")}) will serve forecasts
        {current
          ? `, replacing version ${current.version} (CV RMSPE ${formatMetric(current.cvRmspe, "ratio")}), which is archived and can be promoted back`
          : ""}
        . Forecasts already written stay as they are; new forecasts use version {target.version}.
      </p>
    </ConfirmDialog>
  );
}

export default function ModelVersions() {
  const { store, productname, name, versions, confirm, promoted } = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const production = versions.find((v) => v.stage === "production");
  const target = confirm === null ? undefined : versions.find((v) => v.version === confirm);
  const selfHref = `/models/${store}/${encodeURIComponent(productname)}`;
  const storeHref = `/stores/${store}?product=${encodeURIComponent(productname)}`;

  return (
    <div className="space-y-5">
      <Breadcrumbs
        parents={[{ to: "/models", label: "Models" }]}
        current={
          <>
            Store {store} / {productname}
          </>
        }
      />

      <section aria-labelledby="model-heading" className="space-y-2">
        <h1 id="model-heading" className="text-2xl font-semibold">
          Model of store {store}, {productname}
        </h1>
        {name ? <p className="font-mono text-sm text-slate-600 break-all dark:text-slate-400">{name}</p> : null}
        <p className="text-lg">
          In production: version{" "}
          <strong data-testid="production-version" className="tabular-nums">
            {production ? production.version : "none"}
          </strong>
          {production ? (
            <span className="text-sm text-slate-600 dark:text-slate-400">
              {" "}
              (CV RMSPE {formatMetric(production.cvRmspe, "ratio")}, trained {formatDateTime(production.createdAt)})
            </span>
          ) : null}
        </p>
        <p className="text-sm">
          <Link to={storeHref} className={linkClass}>
            Forecast of store {store} {productname}
          </Link>
        </p>
      </section>

      {promoted !== null ? (
        <p
          role="status"
          className="rounded-md border border-emerald-300 bg-emerald-50 px-4 py-2 text-emerald-900 dark:border-emerald-800 dark:bg-emerald-950 dark:text-emerald-100"
        >
          {production?.version === promoted
            ? `Version ${promoted} is now in production.`
            : `Version ${promoted} was promoted, and another version has been put in production since.`}
        </p>
      ) : null}
      {actionData?.error ? (
        <p
          role="alert"
          className="rounded-md border border-red-300 bg-red-50 px-4 py-2 text-red-900 dark:border-red-800 dark:bg-red-950 dark:text-red-100"
        >
          {actionData.error}
        </p>
      ) : null}
      {confirm !== null && target === undefined ? (
        <p role="status" className="text-sm text-slate-700 dark:text-slate-300">
          There is no version {confirm} of this model.
        </p>
      ) : null}
      {target?.stage === "production" ? (
        <p role="status" className="text-sm text-slate-700 dark:text-slate-300">
          Version {target.version} is already in production.
        </p>
      ) : null}
      {target && target.stage !== "production" ? (
        <ConfirmPromotion key={target.version} target={target} current={production} cancelHref={selfHref} />
      ) : null}

      {versions.length === 0 ? (
        <p className="rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950">
          This series has sales history but no model yet. Retrain it from its{" "}
          <Link to={storeHref} className={linkClass}>
            store page
          </Link>
          , or train every store from the{" "}
          <Link to="/pipelines" className={linkClass}>
            Pipelines
          </Link>{" "}
          page.
        </p>
      ) : (
        <TableFrame>
          <caption className="px-3 py-2 text-left text-slate-600 dark:text-slate-400">
            Every version of this model, newest first, with its cross-validation metrics (means over the folds).
          </caption>
          <TableHead
            columns={[
              { label: "Version", numeric: true },
              { label: "Stage" },
              { label: "CV RMSPE", numeric: true },
              { label: "CV RMSE", numeric: true, showFrom: "sm" },
              { label: "CV MAPE", numeric: true, showFrom: "md" },
              { label: "CV MAE", numeric: true, showFrom: "md" },
              { label: "Training window" },
              { label: "Rows", numeric: true, showFrom: "lg" },
              { label: "Trained", showFrom: "lg" },
              { label: "Fit time", numeric: true, showFrom: "lg" },
              { key: "action", label: <span className="sr-only">Action</span> },
            ]}
          />
          <tbody data-testid="version-rows">
            {versions.map((v) => (
              <tr key={v.version} className="border-t border-slate-100 dark:border-slate-800">
                <th scope="row" className="px-3 py-1.5 text-right font-medium tabular-nums">
                  <Link
                    to={`${selfHref}/versions/${v.version}`}
                    className={linkClass}
                    aria-label={`Version ${v.version} details`}
                  >
                    {v.version}
                  </Link>
                </th>
                <td className="px-3 py-1.5">
                  <StageBadge stage={v.stage} />
                </td>
                <td className="px-3 py-1.5 text-right tabular-nums">{formatMetric(v.cvRmspe, "ratio")}</td>
                <td className="hidden px-3 py-1.5 text-right tabular-nums sm:table-cell">
                  {formatMetric(v.cvRmse, "sales")}
                </td>
                <td className="hidden px-3 py-1.5 text-right tabular-nums md:table-cell">
                  {formatMetric(v.cvMape, "ratio")}
                </td>
                <td className="hidden px-3 py-1.5 text-right tabular-nums md:table-cell">
                  {formatMetric(v.cvMae, "sales")}
                </td>
                <td className="px-3 py-1.5 whitespace-nowrap tabular-nums">
                  {v.trainStart} to {v.trainEnd}
                </td>
                <td className="hidden px-3 py-1.5 text-right tabular-nums lg:table-cell">
                  {formatInteger(v.trainRows)}
                </td>
                <td className="hidden px-3 py-1.5 whitespace-nowrap tabular-nums lg:table-cell">
                  {formatDateTime(v.createdAt)}
                </td>
                <td className="hidden px-3 py-1.5 text-right whitespace-nowrap tabular-nums lg:table-cell">
                  {formatDuration(v.durationMs)}
                </td>
                <td className="px-3 py-1.5">
                  {v.stage === "production" ? (
                    <span className="text-sm text-slate-500 dark:text-slate-400">serving</span>
                  ) : (
                    // A GET to the confirm step: nothing changes until "Confirm" is pressed.
                    <Form method="get" preventScrollReset>
                      <input type="hidden" name="confirm" value={v.version} />
                      <button
                        type="submit"
                        className={`${buttonClass} border border-blue-700 text-blue-700 whitespace-nowrap hover:bg-blue-50 dark:border-blue-400 dark:text-blue-300 dark:hover:bg-slate-800`}
                      >
                        Promote version {v.version}
                      </button>
                    </Form>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </TableFrame>
      )}

      {versions.length >= 2 ? <CompareForm versions={versions} action={`${selfHref}/compare`} /> : null}
    </div>
  );
}

/** Two versions to compare: a GET form to the compare view (production and the newest other preselected). */
function CompareForm({ versions, action }: { versions: Version[]; action: string }) {
  const production = versions.find((v) => v.stage === "production")?.version ?? versions[0]!.version;
  const other = versions.find((v) => v.version !== production)!.version;
  return (
    <section aria-labelledby="compare-heading" className="space-y-2">
      <h2 id="compare-heading" className="text-lg font-semibold">
        Compare two versions
      </h2>
      <Form method="get" action={action} className="flex flex-wrap items-end gap-3">
        {(
          [
            ["a", production],
            ["b", other],
          ] as const
        ).map(([field, preset]) => (
          <Field key={field} id={`compare-${field}`} label={`Version ${field.toUpperCase()}`}>
            <select id={`compare-${field}`} name={field} defaultValue={preset} className={inputClass}>
              {versions.map((v) => (
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
          className={`${buttonClass} border border-blue-700 text-blue-700 hover:bg-blue-50 dark:border-blue-400 dark:text-blue-300 dark:hover:bg-slate-800`}
        >
          Compare
        </button>
      </Form>
    </section>
  );
}
