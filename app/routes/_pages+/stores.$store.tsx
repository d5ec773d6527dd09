import {
  type ActionFunctionArgs,
  data,
  type HeadersFunction,
  type LoaderFunctionArgs,
  type MetaFunction,
  redirect,
} from "@remix-run/node";
import { Form, Link, useActionData, useFetcher, useLoaderData, useSubmit } from "@remix-run/react";
import { useMemo } from "react";
import { AccuracyPanel } from "../../components/AccuracyPanel.js";
import { AdhocForm } from "../../components/AdhocForm.js";
import { ComponentsPanel } from "../../components/ComponentsPanel.js";
import { Field } from "../../components/Field.js";
import { ForecastChart } from "../../components/ForecastChart.js";
import { ModelCard } from "../../components/ModelCard.js";
import { RetrainPanel } from "../../components/RetrainPanel.js";
import { linkClass } from "../../components/styles.js";
import { useSynced } from "../../components/useSynced.js";
import { TooSoonError } from "../../errors.js";
import { seriesAccuracy } from "../../monitoring/accuracy.server.js";
import { seriesDrift } from "../../monitoring/drift-check.server.js";
import { describeReason } from "../../monitoring/drift-rules.js";
import { modelCard } from "../../registry/model-card.server.js";
import { audit, requireRole } from "../../server/authorize.server.js";
import { requestRetrain } from "../../training/retrain-cooldown.server.js";
import { retrainJob } from "../../training/retrain-job.server.js";
import { jobOrNull, readForm } from "./forms.server.js";
import { adhocFromSearch, selectSeries, seriesChartData, seriesComponents } from "./store-page.server.js";

export const meta: MetaFunction<typeof loader> = ({ data: d }) => [
  { title: d ? `storecast: store ${d.store} ${d.product}` : "storecast: store" },
];

export async function loader({ request, params, context }: LoaderFunctionArgs) {
  const search = new URL(request.url).searchParams;
  const { info, key } = await selectSeries(context, params.store, search);
  const chartData = seriesChartData(context, key);
  const [chart, components, card, job, adhoc, accuracy, drift] = await Promise.all([
    chartData,
    chartData.then((c) => seriesComponents(context, key, c.weekly)),
    modelCard(context.db, key),
    jobOrNull(context.log, () => retrainJob(context.jobs, key, search.get("job")), "retrain job status"),
    adhocFromSearch(context, key, search, request),
    seriesAccuracy(context.db, key.store, key.productname, { weeks: 4 }),
    seriesDrift(context.db, key),
  ]);
  const payload = {
    store: info.store,
    storeType: info.storeType,
    assortment: info.assortment,
    products: info.products,
    product: key.productname,
    chart,
    components,
    card,
    job,
    adhoc,
    accuracyWeeks: accuracy.weeks,
    drift: drift && {
      state: drift.state,
      why: drift.reasons.map(describeReason),
      since: drift.since,
      action: drift.action,
    },
  };
  // A form the server could not accept answers 400, with the page and the errors beside the fields.
  return data(payload, { status: adhoc.errors ? 400 : 200 });
}

/** A Retrain refused by the cooldown (429) says when to try again, on the page as in the API. */
export const headers: HeadersFunction = ({ actionHeaders }) => {
  const retryAfter = actionHeaders.get("Retry-After");
  return retryAfter ? { "Retry-After": retryAfter } : new Headers();
};

/** The ad-hoc forecast's dates survive the Retrain POST and its redirect (no JavaScript). */
const KEPT_PARAMS = ["begin", "end"] as const;

export async function action({ request, params, context }: ActionFunctionArgs) {
  requireRole(context, request, "planner");
  const form = await readForm(request, context);
  if (!form) return data({ retrainError: "The form could not be read: send it from this page." }, { status: 400 });
  if (form.get("intent") !== "retrain") {
    return data({ retrainError: "Unknown action: this page can only retrain." }, { status: 400 });
  }
  const product = String(form.get("product") ?? "");
  const { key } = await selectSeries(context, params.store, new URLSearchParams({ product }));
  let jobId: string;
  try {
    const enqueued = await requestRetrain(context.db, context.jobs, key, context.config.RETRAIN_COOLDOWN_S);
    jobId = enqueued.id;
  } catch (err) {
    if (err instanceof TooSoonError) {
      return data(
        { retrainError: `Not retrained: ${err.message}.` },
        { status: 429, headers: { "Retry-After": String(err.retryAfterSeconds) } },
      );
    }
    context.log.error({ err }, "ui: could not enqueue a retrain");
    return data(
      { retrainError: `The retrain could not be started: ${(err as Error).message}. Try again in a moment.` },
      { status: 503 },
    );
  }
  await audit(context, "model.retrain", `store ${key.store} product ${key.productname}`, { job: jobId, via: "page" });
  const next = new URLSearchParams({ product: key.productname, job: jobId });
  for (const name of KEPT_PARAMS) {
    const value = form.get(name);
    if (typeof value === "string" && value !== "") next.set(name, value.slice(0, 40));
  }
  return redirect(`/stores/${key.store}?${next}`);
}

type LoaderData = ReturnType<typeof useLoaderData<typeof loader>>;

export default function StorePage() {
  const page = useLoaderData<typeof loader>();
  const actionData = useActionData<typeof action>();
  const adhocFetcher = useFetcher<typeof loader>({ key: "adhoc" });
  const submit = useSubmit();
  const [product, setProduct] = useSynced(page.product);
  const base = `/stores/${page.store}`;

  // The fetcher's answer wins while it is about this series (with JavaScript); else the address's.
  const fetched: LoaderData | undefined = adhocFetcher.data;
  const adhoc =
    fetched && fetched.store === page.store && fetched.product === page.product ? fetched.adhoc : page.adhoc;
  const input = useMemo(
    () => ({ actuals: page.chart.actuals, weekly: page.chart.weekly, adhoc: adhoc.forecast }),
    [page.chart, adhoc.forecast],
  );
  const csvParams = new URLSearchParams({ product: page.product });
  if (adhoc.forecast) {
    csvParams.set("begin", adhoc.forecast.begin);
    csvParams.set("end", adhoc.forecast.end);
  }
  const keep: Record<string, string> = {};
  if (page.adhoc.requested && page.adhoc.forecast) {
    keep.begin = page.adhoc.begin;
    keep.end = page.adhoc.end;
  }
  const productOnly = `${base}?${new URLSearchParams({ product: page.product })}`;

  return (
    <div className="space-y-6">
      <nav aria-label="Breadcrumb" className="text-sm text-slate-600 dark:text-slate-300">
        <ol className="flex gap-2">
          <li>
            <Link to="/stores" className={linkClass}>
              Stores
            </Link>
          </li>
          <li aria-hidden="true">/</li>
          <li aria-current="page">Store {page.store}</li>
        </ol>
      </nav>

      <header className="flex flex-wrap items-end justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold">Store {page.store}</h1>
          <p className="text-sm text-slate-600 dark:text-slate-300">
            Type {page.storeType ?? "–"}, assortment {page.assortment ?? "–"}
          </p>
        </div>
        <Form
          method="get"
          action={base}
          className="flex items-end gap-2"
          onChange={(event) => submit(event.currentTarget, { preventScrollReset: true })}
        >
          <Field id="product" label="Product">
            <select
              id="product"
              name="product"
              value={product}
              onChange={(event) => setProduct(event.target.value)}
              className="mt-1 rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900"
            >
              {page.products.map((p) => (
                <option key={p} value={p}>
                  {p}
                </option>
              ))}
            </select>
          </Field>
          <noscript>
            <button type="submit" className="rounded-md border border-slate-300 px-3 py-2 dark:border-slate-700">
              Show
            </button>
          </noscript>
        </Form>
      </header>

      <section className="space-y-3 rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
        <ForecastChart input={input} />
        <p className="text-sm">
          <a href={`${base}/forecast.csv?${csvParams}`} download className={linkClass}>
            Download CSV
          </a>
          <span className="text-slate-500 dark:text-slate-400"> of the data on the chart</span>
        </p>
      </section>

      <div className="grid gap-6 lg:grid-cols-3">
        <RetrainPanel
          store={page.store}
          product={page.product}
          job={page.job}
          actionError={actionData?.retrainError ?? null}
          keep={keep}
        />
        <AdhocForm
          action={base}
          product={page.product}
          state={adhoc}
          fetcher={adhocFetcher}
          shown={adhoc.forecast !== null}
          clearHref={productOnly}
          onClear={() => adhocFetcher.load(productOnly)}
        />
        <ModelCard card={page.card} store={page.store} product={page.product} />
      </div>

      <ComponentsPanel components={page.components} />

      <AccuracyPanel weeks={page.accuracyWeeks} drift={page.drift} />
    </div>
  );
}
