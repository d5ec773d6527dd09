import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData, useNavigation, useSearchParams } from "@remix-run/react";
import { formatDay, todayDay } from "../days.js";
import { listRuns } from "../pipeline-runs.server.js";
import { countProductionVersions } from "../registry.server.js";
import { historyTotals, listStoreSummaries, streamActivity } from "../stores.server.js";

export const meta: MetaFunction = () => [{ title: "storecast: stores" }];

export async function loader({ request, context }: LoaderFunctionArgs) {
  const q = new URL(request.url).searchParams.get("store")?.trim() ?? "";
  const storeFilter = /^\d{1,6}$/.test(q) ? Number(q) : undefined;
  const [totals, stores, models, [training], stream] = await Promise.all([
    historyTotals(context.db),
    listStoreSummaries(context.db, { storeFilter }),
    countProductionVersions(context.db),
    listRuns(context.db, { kind: "train-all", limit: 1 }),
    streamActivity(context.db, formatDay(todayDay())),
  ]);
  return {
    totals,
    stores,
    models,
    stream,
    training: training ? { status: training.status, done: training.progressDone, total: training.progressTotal } : null,
    query: q,
    invalidQuery: q !== "" && storeFilter === undefined,
    database: context.db.kind,
  };
}

const number = new Intl.NumberFormat("en-US");

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900">
      <dt className="text-sm text-slate-500 dark:text-slate-400">{label}</dt>
      <dd className="mt-1 text-2xl font-semibold tabular-nums">{value}</dd>
    </div>
  );
}

export default function Index() {
  const { totals, stores, models, stream, training, query, invalidQuery, database } = useLoaderData<typeof loader>();
  const navigation = useNavigation();
  const [params] = useSearchParams();
  const searching = navigation.state === "loading" && navigation.location?.pathname === "/";

  return (
    <div className="space-y-6">
      <section aria-labelledby="overview-heading" className="space-y-3">
        <h1 id="overview-heading" className="text-2xl font-semibold">
          Stores
        </h1>
        <dl className="grid grid-cols-2 gap-3 sm:grid-cols-5">
          <Stat label="Stores with sales" value={number.format(totals.stores)} />
          <Stat label="Sales rows" value={number.format(totals.rows)} />
          <Stat label="History from" value={totals.firstDate ?? "–"} />
          <Stat label="Last sales date" value={totals.lastDate ?? "–"} />
          <Stat label="Models in production" value={number.format(models)} />
        </dl>
        {training?.status === "RUNNING" ? (
          <div className="space-y-1">
            <label htmlFor="training-progress" className="text-sm">
              Training every series: {training.done} of {training.total}
            </label>
            <progress id="training-progress" className="w-full" max={training.total || 1} value={training.done} />
          </div>
        ) : null}
        <p className="text-sm text-slate-500 dark:text-slate-400" data-testid="stream-activity">
          Live stream: {number.format(stream.todayRows)} records today, {number.format(stream.lastMinute)} in the last
          minute
          {stream.lastRecordAt ? `, last at ${new Date(stream.lastRecordAt).toISOString().slice(11, 19)} UTC` : ""};{" "}
          {number.format(stream.rejects)} rejected. Database: {database}
        </p>
      </section>

      <Form method="get" role="search" className="flex flex-wrap items-end gap-2">
        <div className="flex flex-col">
          <label htmlFor="store-search" className="text-sm font-medium">
            Find a store by number
          </label>
          <input
            id="store-search"
            name="store"
            inputMode="numeric"
            defaultValue={params.get("store") ?? ""}
            aria-invalid={invalidQuery || undefined}
            aria-describedby={invalidQuery ? "store-search-error" : undefined}
            className="mt-1 w-48 rounded-md border border-slate-300 bg-white px-3 py-2 dark:border-slate-700 dark:bg-slate-900"
            placeholder="e.g. 262"
          />
        </div>
        <button
          type="submit"
          className="rounded-md bg-blue-700 px-4 py-2 font-medium text-white hover:bg-blue-800 focus-visible:outline-2 focus-visible:outline-offset-2"
        >
          {searching ? "Searching…" : "Search"}
        </button>
        {invalidQuery ? (
          <p id="store-search-error" className="w-full text-sm text-red-700 dark:text-red-400">
            A store number is digits only, for example 262.
          </p>
        ) : null}
      </Form>

      {totals.rows === 0 ? (
        <p className="rounded-lg border border-amber-300 bg-amber-50 p-4 dark:border-amber-700 dark:bg-amber-950">
          No sales history yet. Load a Rossmann-format file with <code>npm run load-history -- --csv train.csv</code>,
          or restart with an empty database to generate one.
        </p>
      ) : (
        <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white dark:border-slate-800 dark:bg-slate-900">
          <table className="w-full text-left text-sm">
            <caption className="sr-only">Stores with their sales history</caption>
            <thead className="bg-slate-100 text-slate-600 dark:bg-slate-800 dark:text-slate-300">
              <tr>
                <th scope="col" className="px-3 py-2">
                  Store
                </th>
                <th scope="col" className="px-3 py-2">
                  Type
                </th>
                <th scope="col" className="px-3 py-2 text-right">
                  Rows
                </th>
                <th scope="col" className="px-3 py-2">
                  History from
                </th>
                <th scope="col" className="px-3 py-2">
                  Last sales date
                </th>
                <th scope="col" className="px-3 py-2 text-right">
                  Avg sales (open days)
                </th>
              </tr>
            </thead>
            <tbody data-testid="store-rows">
              {stores.map((s) => (
                <tr key={s.store} className="border-t border-slate-100 dark:border-slate-800">
                  <th scope="row" className="px-3 py-1.5 font-medium tabular-nums">
                    {s.store}
                  </th>
                  <td className="px-3 py-1.5">{s.storeType ?? "–"}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">{number.format(s.rows)}</td>
                  <td className="px-3 py-1.5 tabular-nums">{s.firstDate}</td>
                  <td className="px-3 py-1.5 tabular-nums">{s.lastDate}</td>
                  <td className="px-3 py-1.5 text-right tabular-nums">
                    {s.avgOpenSales === null ? "–" : number.format(s.avgOpenSales)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {stores.length === 0 ? (
            <p className="p-4 text-slate-600 dark:text-slate-300">No store number starts with “{query}”.</p>
          ) : null}
        </div>
      )}
    </div>
  );
}
